/**
 * The seams of README "Architecture", held by reading every import in src/ (static, `export … from`,
 * dynamic `import()` and `import('…')` types) with the TypeScript parser:
 * - nothing imports src/snapshots/mime (replaced by src/mail);
 * - src/proxy, src/recovery, src/http and src/cli reach another top-level area only through its
 *   public modules (an `index.ts`, a single-file area such as `src/log.ts`, or PUBLIC_MODULES below);
 * - src/proxy imports no store implementation; only the embedded store imports better-sqlite3;
 *   only src/upstream (and the testbed, demo and bench tools) imports imapflow;
 * - src/ has no import cycles.
 * The rules are first run on made-up imports, so each is shown to catch what it forbids.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, resolve } from 'node:path';
import ts from 'typescript';

const SRC = resolve('src');

/** One import of a src file: `to` is a path relative to src/ (`http/server.ts`) or a package name. */
interface Import {
  from: string;
  to: string;
  /** `import type …` / `export type … from` / `import('…')` in a type: gone at run time. */
  typeOnly: boolean;
}

/** Areas whose imports of other areas must go through public modules (issue 12). */
const GUARDED_AREAS = ['proxy', 'recovery', 'http', 'cli'];

/**
 * Modules public beyond `index.ts` files and single-file areas, each with why. `importers`, when
 * given, limits which guarded areas may use it.
 */
const PUBLIC_MODULES: Array<{ pattern: RegExp; importers?: string[]; why: string }> = [
  { pattern: /^mail\//, why: 'src/mail is a library: each module is its own public API (one parser per grammar)' },
  { pattern: /^config\/settings\.ts$/, why: 'the narrow settings types every module receives instead of the whole Config' },
  { pattern: /^config\/(schema|load)\.ts$/, importers: ['cli'], why: 'the CLI is the composition root: it loads the whole Config and hands out settings' },
  { pattern: /^snapshots\/day-label\.ts$/, why: 'the day-label type and its one parser, shared by every surface' },
  {
    pattern: /^snapshots\/store\/(store|catalog|storage-error|blob-damage)\.ts$/,
    why: "the store's interfaces and errors, which every implementation (embedded, PostgreSQL, S3) provides",
  },
  {
    pattern: /^snapshots\/(verify|retention|snapshotter\/run)\.ts$/,
    importers: ['cli'],
    why: 'the snapshot operations `mtm verify`, `mtm prune` and `mtm snapshot` run',
  },
  { pattern: /^demo\/setup\.ts$/, importers: ['cli'], why: '`mtm demo` starts the demo (a tool, kept out of `mtm serve`)' },
];

const STORE_IMPLEMENTATION = /^snapshots\/store\/(embedded|postgres|s3)\//;
/** Tools, not the product: they drive a live server the way a client would. */
const IMAPFLOW_USERS = /^(upstream|testbed|demo|bench)\//;

function areaOf(path: string): string {
  return path.includes('/') ? path.slice(0, path.indexOf('/')) : path;
}

function isPublic(target: string, importerArea: string): boolean {
  if (!target.includes('/')) return true; // a single-file area: src/log.ts, src/metrics.ts …
  if (target.endsWith('/index.ts')) return true;
  return PUBLIC_MODULES.some(({ pattern, importers }) => pattern.test(target) && (!importers || importers.includes(importerArea)));
}

function isPackage(to: string): boolean {
  return !to.endsWith('.ts');
}

/** Every rule but the cycle rule, as one message per offending import. */
function boundaryViolations(imports: Import[]): string[] {
  const found: string[] = [];
  for (const { from, to } of imports) {
    const fromArea = areaOf(from);
    if (to.startsWith('snapshots/mime/') || to === 'snapshots/mime') found.push(`${from} imports ${to}: src/snapshots/mime is gone, use src/mail`);
    if (to === 'better-sqlite3' && !from.startsWith('snapshots/store/embedded/')) found.push(`${from} imports better-sqlite3: only the embedded store may`);
    if (to === 'imapflow' || to.startsWith('imapflow/')) {
      if (!IMAPFLOW_USERS.test(from)) found.push(`${from} imports ${to}: only src/upstream may`);
    }
    if (isPackage(to)) continue;
    if (fromArea === 'proxy' && STORE_IMPLEMENTATION.test(to)) found.push(`${from} imports the store implementation ${to}`);
    if (GUARDED_AREAS.includes(fromArea) && areaOf(to) !== fromArea && !isPublic(to, fromArea)) {
      found.push(`${from} imports ${to}, a private module of src/${areaOf(to)}`);
    }
  }
  return found;
}

/**
 * Import cycles among run-time imports, each as its files joined by ↔. Type-only imports vanish when
 * compiled and are left out: the store's interfaces and src/recovery/jobs.ts (`JobStore`, which the
 * store implementations implement) name each other's types, a loop no module ever loads.
 */
function importCycles(imports: Import[]): string[] {
  const edges = new Map<string, string[]>();
  for (const { from, to, typeOnly } of imports) {
    if (typeOnly || isPackage(to)) continue;
    edges.set(from, [...(edges.get(from) ?? []), to]);
  }
  // Tarjan's strongly connected components: a component of more than one file, or a file importing itself, is a cycle.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[] = [];
  let next = 0;
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next += 1;
    stack.push(node);
    onStack.add(node);
    for (const target of edges.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (edges.get(node) ?? []).includes(node)) cycles.push(component.sort().join(' ↔ '));
  };
  for (const node of [...edges.keys()].sort()) if (!index.has(node)) visit(node);
  return cycles;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The imports of one file, relative targets resolved to src-relative `.ts` paths. */
function importsOf(file: string): Import[] {
  const from = relative(SRC, file).split('\\').join('/');
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: Import[] = [];
  const add = (specifier: string, typeOnly: boolean): void => {
    const to = specifier.startsWith('.') ? posix.normalize(posix.join(posix.dirname(from), specifier)).replace(/\.js$/, '.ts') : specifier;
    found.push({ from, to, typeOnly });
  };
  const walk = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const everyNameIsType =
        clause !== undefined &&
        clause.name === undefined &&
        clause.namedBindings !== undefined &&
        ts.isNamedImports(clause.namedBindings) &&
        clause.namedBindings.elements.length > 0 &&
        clause.namedBindings.elements.every((element) => element.isTypeOnly);
      add(node.moduleSpecifier.text, clause?.isTypeOnly === true || everyNameIsType);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const everyNameIsType = node.exportClause !== undefined && ts.isNamedExports(node.exportClause) && node.exportClause.elements.every((element) => element.isTypeOnly);
      add(node.moduleSpecifier.text, node.isTypeOnly || everyNameIsType);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) {
      add(node.arguments[0].text, false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal.text, true);
    }
    ts.forEachChild(node, walk);
  };
  walk(source);
  return found;
}

const imports = sourceFiles(SRC).flatMap(importsOf);

describe('the rules catch what they forbid (made-up imports)', () => {
  const one = (from: string, to: string, typeOnly = false): Import[] => [{ from, to, typeOnly }];

  test.each([
    ['http/web/web-api.ts', 'recovery/plan.ts', 'a private module of src/recovery'],
    ['recovery/snapshot-folder.ts', 'proxy/ports.ts', 'a private module of src/proxy'],
    ['cli/commands/export.ts', 'recovery/snapshot-folder.ts', 'a private module of src/recovery'],
    ['http/web/web-api.ts', 'config/schema.ts', 'a private module of src/config'],
    ['proxy/commands/fetch.ts', 'snapshots/view/snapshot-view.ts', 'a private module of src/snapshots'],
    ['proxy/fetch/engine.ts', 'snapshots/store/embedded/file-blob-store.ts', 'store implementation'],
    ['snapshots/view/opened-folder.ts', 'snapshots/mime/structure.ts', 'src/snapshots/mime is gone'],
    ['recovery/live-mailbox.ts', 'imapflow', 'only src/upstream'],
    ['snapshots/store/postgres/jobs.ts', 'better-sqlite3', 'only the embedded store'],
  ])('%s → %s is refused', (from, to, reason) => {
    const found = boundaryViolations(one(from, to));
    expect(found.filter((message) => message.includes(reason))).toHaveLength(1);
    // A type-only import is held to the same seams: a type couples modules as much as a value.
    expect(boundaryViolations(one(from, to, true))).toEqual(found);
  });

  test.each([
    ['http/web/web-api.ts', 'recovery/index.ts'],
    ['http/api/recovery-api.ts', 'snapshots/walk/index.ts'],
    ['cli/context.ts', 'config/schema.ts'],
    ['recovery/export.ts', 'snapshots/store/blob-damage.ts'],
    ['proxy/session.ts', 'log.ts'],
    ['http/message-summary.ts', 'mail/header-text.ts'],
    ['snapshots/view/snapshot-view.ts', 'proxy/ports.ts'],
    ['upstream/session.ts', 'imapflow'],
    ['snapshots/store/embedded/sqlite-jobs.ts', 'better-sqlite3'],
  ])('%s → %s is allowed', (from, to) => {
    expect(boundaryViolations(one(from, to))).toEqual([]);
  });

  test('a cycle through run-time imports is found; one closed only by a type import is not', () => {
    const chain = (typeOnlyLast: boolean): Import[] => [
      { from: 'a.ts', to: 'b/x.ts', typeOnly: false },
      { from: 'b/x.ts', to: 'c/y.ts', typeOnly: false },
      { from: 'c/y.ts', to: 'a.ts', typeOnly: typeOnlyLast },
      { from: 'c/y.ts', to: 'node:fs', typeOnly: false },
    ];
    expect(importCycles(chain(false))).toEqual(['a.ts ↔ b/x.ts ↔ c/y.ts']);
    expect(importCycles(chain(true))).toEqual([]);
    expect(importCycles([{ from: 'a.ts', to: 'a.ts', typeOnly: false }])).toEqual(['a.ts']);
  });
});

describe('src/ keeps its seams', () => {
  test('the parser sees the imports (static, export-from, dynamic)', () => {
    const seen = (from: string, to: string): boolean => imports.some((i) => i.from === from && i.to === to);
    expect(imports.length).toBeGreaterThan(500);
    expect(seen('service.ts', 'http/api/recovery-api.ts')).toBe(true);
    expect(seen('recovery/index.ts', 'recovery/service.ts')).toBe(true);
    expect(imports.some((i) => i.from.startsWith('cli/') && !i.typeOnly && i.to.startsWith('cli/commands/'))).toBe(true);
  });

  test('no guarded area reaches into another area, no store implementation in the proxy, packages where they belong', () => {
    expect(boundaryViolations(imports)).toEqual([]);
  });

  test('src/snapshots/mime is gone', () => {
    expect(sourceFiles(SRC).filter((file) => relative(SRC, file).startsWith(join('snapshots', 'mime')))).toEqual([]);
  });

  test('no import cycles', () => {
    expect(importCycles(imports)).toEqual([]);
  });
});
