import { describe, expect, it } from 'vitest';
import { isSpn, machineHoldsName, parseSpn } from './target-names.js';

const server = {
  fqdn: 'server.contoso.com',
  netbios: 'SERVER',
  spns: ['host/server.contoso.com', 'host/SERVER', 'http/www.contoso.com'],
  domain: 'CONTOSO',
  dnsDomain: 'contoso.com',
};

describe('target names', () => {
  it('parses SPNs of the form class/host[:port][/service]', () => {
    expect(parseSpn('HOST/Server.Contoso.com:445/svc')).toEqual({
      serviceClass: 'host',
      host: 'server.contoso.com',
    });
    for (const bad of [
      'server.contoso.com',
      'host/',
      '/server',
      'host/a b',
      'host/a:port',
      'CONTOSO\\SERVER$',
    ])
      expect(isSpn(bad)).toBe(false);
  });

  it('an SPN matches by class and host, ignoring case and port', () => {
    for (const name of [
      'host/server.contoso.com',
      'HOST/SERVER',
      'host/server.contoso.com:8080',
      'http/www.contoso.com/app',
    ])
      expect(machineHoldsName(server, name, false)).toBe(true);
    for (const name of [
      'host/rogue.contoso.com',
      'http/server.contoso.com',
      'cifs/server.contoso.com',
      'server.contoso.com',
    ])
      expect(machineHoldsName(server, name, false)).toBe(false);
  });

  it('a raw name matches one of the names verbatim (ignoring case), never by parsing', () => {
    for (const name of [
      'server.contoso.com',
      'CONTOSO\\SERVER$',
      'SERVER$@contoso.com',
      'host/server.contoso.com',
    ])
      expect(machineHoldsName(server, name, true)).toBe(true);
    for (const name of ['SERVER', 'host/server.contoso.com:445', 'server', 'FABRIKAM\\SERVER$'])
      expect(machineHoldsName(server, name, true)).toBe(false);
  });
});
