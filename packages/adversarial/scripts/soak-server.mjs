// Child process of run-soak.mjs: the soak server, driven over IPC.
import { SimRealm } from '@wsasec/sim';
import { startSoakServer } from '../dist/index.js';

const realm = await SimRealm.load(process.argv[2]);
const server = await startSoakServer(realm);
process.on('message', async (message) => {
  if (message.type === 'stats') process.send({ id: message.id, value: server.stats() });
  if (message.type === 'gc') process.send({ id: message.id, value: server.heapAfterGc() });
  if (message.type === 'close') {
    await server.close();
    process.send({ id: message.id, value: true });
    process.disconnect();
  }
});
process.send({ type: 'ready', port: server.port });
