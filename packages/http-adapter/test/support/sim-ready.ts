// The sim is written in parallel; its tests here run once its package exports the backend.
import * as sim from '@wsasec/sim';

export const simModule = sim as unknown as Record<string, unknown>;
export const simReady =
  typeof simModule.createSimBackend === 'function' && typeof simModule.createSimRealm === 'function';
