// The sim backend as a plain record, so the fixture can read the few functions it needs.
import * as sim from '@wsasec/sim';

export const simModule = sim as unknown as Record<string, unknown>;
