// RFC 4978 COMPRESS=DEFLATE
import { arg, defineCommand, no, ok, refuseArg } from '../command.js';

const mechanism = arg.refine(arg.keyword, (word) => (word === 'DEFLATE' ? word : refuseArg(`Unknown compression mechanism ${word.slice(0, 30)}`)));

export const compress = defineCommand({
  name: 'COMPRESS',
  states: ['authenticated', 'selected'],
  args: [mechanism],
  async run(session) {
    if (session.compressed) return no('COMPRESSIONACTIVE', 'Compression is already active');
    return { ...ok('DEFLATE active'), after: () => session.startCompression() };
  },
});
