import { describe, expect, it } from 'vitest';
import { isPrivateAddress, privateDestination } from '../../src/utils/ssrf.js';

describe('SSRF guard for customer-configured URLs', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    'fd00::1',
    'fe80::1',
    '::ffff:127.0.0.1',
  ])('should treat %s as private', (ip) => expect(isPrivateAddress(ip)).toBe(true));

  it.each(['8.8.8.8', '93.184.216.34', '2606:4700:4700::1111'])('should treat %s as public', (ip) => {
    expect(isPrivateAddress(ip)).toBe(false);
  });

  it('should refuse loopback and metadata URLs, other protocols and unresolvable hosts', async () => {
    expect(await privateDestination('http://127.0.0.1:8080/hook')).toMatch(/private/);
    expect(await privateDestination('http://169.254.169.254/latest/meta-data')).toMatch(/private/);
    expect(await privateDestination('http://[::1]/x')).toMatch(/private/);
    expect(await privateDestination('http://localhost/x')).toMatch(/private|resolve/);
    expect(await privateDestination('file:///etc/passwd')).toMatch(/protocol/);
    expect(await privateDestination('https://93.184.216.34/hook')).toBeNull();
  });
});
