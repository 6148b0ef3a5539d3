import { afterEach, describe, expect, it } from 'vitest';
import { BACKEND_PACKAGES, loadBackend, type SecureSocketBackend, SecureSocketError } from '../src/index.js';

const fakeBackend = { name: 'fake' } as unknown as SecureSocketBackend;

/** An importer that records what it was asked for and answers with `mod`. */
function importer(mod: unknown = { createBackendFromEnv: () => fakeBackend }) {
  const asked: string[] = [];
  return {
    asked,
    importer: async (specifier: string) => {
      asked.push(specifier);
      return mod;
    },
  };
}

async function refused(promise: Promise<unknown>, code: string, says: RegExp): Promise<SecureSocketError> {
  const error = await promise.then(
    () => {
      throw new Error(`expected ${code}`);
    },
    (e: unknown) => e,
  );
  expect(SecureSocketError.isInstance(error), String(error)).toBe(true);
  expect((error as SecureSocketError).code).toBe(code);
  expect((error as SecureSocketError).message).toMatch(says);
  return error as SecureSocketError;
}

const realPlatform = process.platform;
afterEach(() => {
  Object.defineProperty(process, 'platform', { value: realPlatform });
});

describe('loadBackend', () => {
  it('knows the sim and native-win packages', () => {
    expect(BACKEND_PACKAGES).toEqual({ sim: '@wsasec/sim', 'native-win': '@wsasec/native-win' });
  });

  it('refuses an unknown name, from options or from WSASEC_BACKEND, listing the names it accepts', async () => {
    const { asked, importer: imp } = importer();
    await refused(
      loadBackend({ backend: 'tls' as never, importer: imp }),
      'ERR_WSASEC_INVALID_ARGUMENT',
      /"tls".*sim or native-win/,
    );
    await refused(
      loadBackend({ env: { WSASEC_BACKEND: 'Sim' }, importer: imp }),
      'ERR_WSASEC_INVALID_ARGUMENT',
      /"Sim"/,
    );
    for (const name of ['__proto__', 'toString', 'constructor']) {
      await refused(
        loadBackend({ env: { WSASEC_BACKEND: name }, importer: imp }),
        'ERR_WSASEC_INVALID_ARGUMENT',
        /accepts sim or native-win/,
      );
    }
    expect(asked).toEqual([]);
  });

  it('turns a missing package into ERR_WSASEC_BACKEND_NOT_FOUND naming it, with the cause', async () => {
    for (const code of ['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND']) {
      const cause = Object.assign(new Error("Cannot find package '@wsasec/sim'"), { code });
      const error = await refused(
        loadBackend({
          backend: 'sim',
          importer: async () => {
            throw cause;
          },
        }),
        'ERR_WSASEC_BACKEND_NOT_FOUND',
        /the sim backend needs the package @wsasec\/sim: install it \(pnpm add @wsasec\/sim\)/,
      );
      expect(error.cause).toBe(cause);
    }
  });

  it('lets any other import failure through unchanged', async () => {
    const failure = new SyntaxError('broken module');
    await expect(
      loadBackend({
        backend: 'sim',
        importer: async () => {
          throw failure;
        },
      }),
    ).rejects.toBe(failure);
  });

  it('refuses a module without createBackendFromEnv', async () => {
    for (const mod of [
      {},
      { createBackendFromEnv: 'yes' },
      { default: { createBackendFromEnv: () => fakeBackend } },
    ]) {
      await refused(
        loadBackend({ backend: 'native-win', importer: importer(mod).importer }),
        'ERR_WSASEC_BACKEND_NOT_FOUND',
        /@wsasec\/native-win does not export createBackendFromEnv\(\)/,
      );
    }
  });

  it('defaults to native-win on win32 and the sim elsewhere', async () => {
    for (const [platform, specifier] of [
      ['win32', '@wsasec/native-win'],
      ['linux', '@wsasec/sim'],
      ['darwin', '@wsasec/sim'],
    ] as const) {
      Object.defineProperty(process, 'platform', { value: platform });
      const { asked, importer: imp } = importer();
      await loadBackend({ env: {}, importer: imp });
      expect(asked).toEqual([specifier]);
    }
  });

  it('WSASEC_BACKEND picks the backend; the backend option wins over it', async () => {
    const a = importer();
    await loadBackend({ env: { WSASEC_BACKEND: 'native-win' }, importer: a.importer });
    expect(a.asked).toEqual(['@wsasec/native-win']);
    const b = importer();
    await loadBackend({ backend: 'sim', env: { WSASEC_BACKEND: 'native-win' }, importer: b.importer });
    expect(b.asked).toEqual(['@wsasec/sim']);
  });

  it('passes the environment to createBackendFromEnv and returns its backend (sync or async)', async () => {
    const env = { WSASEC_BACKEND: 'sim', WSASEC_SIM_MACHINE: 'CLIENT' };
    let seen: unknown;
    const sync = importer({
      createBackendFromEnv: (e: unknown) => {
        seen = e;
        return fakeBackend;
      },
    });
    expect(await loadBackend({ env, importer: sync.importer })).toBe(fakeBackend);
    expect(seen).toBe(env);
    const asyncImporter = importer({ createBackendFromEnv: async () => fakeBackend });
    expect(await loadBackend({ env, importer: asyncImporter.importer })).toBe(fakeBackend);
  });

  it('reads process.env when no env is given', async () => {
    const previous = process.env.WSASEC_BACKEND;
    process.env.WSASEC_BACKEND = 'native-win';
    try {
      const { asked, importer: imp } = importer();
      await loadBackend({ importer: imp });
      expect(asked).toEqual(['@wsasec/native-win']);
    } finally {
      if (previous === undefined) delete process.env.WSASEC_BACKEND;
      else process.env.WSASEC_BACKEND = previous;
    }
  });
});
