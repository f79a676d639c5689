// RFC 4978 COMPRESS=DEFLATE
import { arg, bad, defineCommand, no, ok } from '../command.js';

export const compress = defineCommand({
  name: 'COMPRESS',
  states: ['authenticated', 'selected'],
  args: [arg.keyword],
  async run(session, [mechanism]) {
    if (mechanism !== 'DEFLATE') return bad(`Unknown compression mechanism ${mechanism.slice(0, 30)}`);
    if (session.compressed) return no('COMPRESSIONACTIVE', 'Compression is already active');
    return { ...ok('DEFLATE active'), after: () => session.startCompression() };
  },
});
