import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { env } from '../../src/config/env.js';
import { openProviderKey, sealProviderKey } from '../../src/services/gateway/providerKeys.js';
import { decryptSecret, type KeyRingEntry } from '../../src/utils/crypto.js';
import { bearer, createProject, registerUser, type TestProject, type TestUser } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

// Private upstreams refused (the default): the SSRF guard is part of what is tested here.
const ctx = useTestApp({ gateway: { allowPrivateUpstreams: false } });
let owner: TestUser;
let project: TestProject;
const KEY = 'sk-test-ABCDEFGHIJKLMNOP-wxyz';

beforeAll(async () => {
  owner = await registerUser(ctx.app);
  project = await createProject(ctx.app, owner);
});

const providers = (p = project, u = owner) => ({
  post: (body: object) =>
    request(ctx.app).post(`/api/v1/projects/${p.id}/providers`).set(bearer(u.accessToken)).send(body),
  list: () => request(ctx.app).get(`/api/v1/projects/${p.id}/providers`).set(bearer(u.accessToken)),
  rotate: (providerId: string, body: object) =>
    request(ctx.app)
      .post(`/api/v1/projects/${p.id}/providers/${providerId}/rotate`)
      .set(bearer(u.accessToken))
      .send(body),
  revoke: (providerId: string, version: number) =>
    request(ctx.app)
      .delete(`/api/v1/projects/${p.id}/providers/${providerId}/versions/${version}`)
      .set(bearer(u.accessToken)),
  remove: (providerId: string) =>
    request(ctx.app).delete(`/api/v1/projects/${p.id}/providers/${providerId}`).set(bearer(u.accessToken)),
});

describe('provider keys: envelope encryption', () => {
  it('should seal under a fresh data key wrapped by the key ring, and open again', () => {
    const ring: KeyRingEntry[] = [{ version: 'k9', key: Buffer.alloc(32, 7) }];
    const a = sealProviderKey(KEY, ring);
    const b = sealProviderKey(KEY, ring);
    expect(a.keyId).toBe('k9');
    expect(a.dataKeyEnc.startsWith('k9:')).toBe(true);
    expect(a.keyHint).toBe('wxyz');
    expect(a.ciphertext).not.toContain(KEY);
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(decryptSecret(a.dataKeyEnc, ring)).not.toBe(decryptSecret(b.dataKeyEnc, ring));
    expect(openProviderKey(a, ring)).toBe(KEY);
    expect(() => openProviderKey(a, [{ version: 'k9', key: Buffer.alloc(32, 8) }])).toThrow();
    expect(() => openProviderKey({ dataKeyEnc: null, ciphertext: null }, ring)).toThrow(/revoked/);
  });
});

describe('/projects/:id/providers', () => {
  let providerId: string;

  it('should store a provider and answer 201 with the key masked, never the key', async () => {
    const res = await providers().post({
      name: 'default',
      kind: 'openai',
      baseUrl: 'https://203.0.113.10/v1',
      apiKey: KEY,
    });
    expect(res.status).toBe(201);
    expect(res.body.provider).toMatchObject({
      name: 'default',
      kind: 'openai',
      baseUrl: 'https://203.0.113.10/v1',
      keyHint: 'wxyz',
      version: 1,
    });
    expect(res.body.provider.id).toEqual(expect.any(String));
    expect(res.body.provider.createdAt).toEqual(expect.any(String));
    expect(JSON.stringify(res.body)).not.toContain('ABCDEFGHIJ');
    providerId = res.body.provider.id;

    const row = await ctx.prisma.providerSecret.findFirstOrThrow({ where: { providerId } });
    expect(row.keyId).toBe(env.ENCRYPTION_KEYS.at(-1)!.version);
    expect(row.dataKeyEnc!.startsWith(`${row.keyId}:`)).toBe(true);
    expect(JSON.stringify(row)).not.toContain('ABCDEFGHIJ');
    expect(openProviderKey(row)).toBe(KEY);
  });

  it('should list providers masked', async () => {
    const res = await providers().list();
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(1);
    expect(res.body.data[0]).toMatchObject({ id: providerId, keyHint: 'wxyz', version: 1 });
    expect(JSON.stringify(res.body)).not.toContain('ABCDEFGHIJ');
  });

  it('should refuse a second provider with the same name (409) and bad input (400)', async () => {
    expect((await providers().post({ name: 'default', apiKey: KEY })).status).toBe(409);
    const bad = await providers().post({ name: 'x', kind: 'compatible', apiKey: KEY });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_ERROR');
    expect(
      (await providers().post({ name: 'y', kind: 'azure', baseUrl: 'https://203.0.113.11', apiKey: KEY })).status,
    ).toBe(400);
  });

  it('should refuse private and loopback base URLs unless GATEWAY_ALLOW_PRIVATE_UPSTREAMS', async () => {
    for (const baseUrl of ['http://127.0.0.1:11434/v1', 'http://10.1.2.3/v1', 'http://169.254.169.254/latest']) {
      const res = await providers().post({ name: 'local', kind: 'compatible', baseUrl, apiKey: KEY });
      expect(res.status).toBe(400);
      expect(res.body.error.details[0]).toMatchObject({ path: 'baseUrl', code: 'private_upstream' });
    }
  });

  it('should rotate to version + 1, keep the old version until revoked, then erase it', async () => {
    const res = await providers().rotate(providerId, { apiKey: 'sk-second-key-0000-9876' });
    expect(res.status).toBe(201);
    expect(res.body.provider).toMatchObject({ version: 2, keyHint: '9876' });
    expect(res.body.provider.versions).toHaveLength(2);

    expect((await providers().revoke(providerId, 2)).status).toBe(409);
    const revoked = await providers().revoke(providerId, 1);
    expect(revoked.status).toBe(200);
    expect(revoked.body.provider.versions[0]).toMatchObject({ version: 1, revokedAt: expect.any(String) });
    const v1 = await ctx.prisma.providerSecret.findFirstOrThrow({ where: { providerId, version: 1 } });
    expect(v1).toMatchObject({ dataKeyEnc: null, ciphertext: null, keyHint: 'wxyz' });

    const third = await providers().rotate(providerId, { apiKey: 'sk-third-key-0000-5555', revokePrevious: true });
    expect(third.body.provider.version).toBe(3);
    const live = await ctx.prisma.providerSecret.findMany({ where: { providerId, revokedAt: null } });
    expect(live.map((s) => s.version)).toEqual([3]);
  });

  it('should audit every change without the key', async () => {
    const rows = await ctx.prisma.auditLog.findMany({ where: { targetId: providerId }, orderBy: { id: 'asc' } });
    expect(rows.map((r) => r.action)).toEqual([
      'provider.create',
      'provider.key.rotate',
      'provider.key.revoke',
      'provider.key.rotate',
    ]);
    expect(rows.every((r) => r.actorId === owner.id)).toBe(true);
    expect(JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toMatch(
      /ABCDEFGHIJ|second-key|third-key/,
    );
  });

  it("should answer 404 for another user's project or provider", async () => {
    const stranger = await registerUser(ctx.app);
    const theirs = await createProject(ctx.app, stranger);
    expect((await providers(project, stranger).list()).status).toBe(404);
    expect((await providers(project, stranger).rotate(providerId, { apiKey: KEY })).status).toBe(404);
    expect((await providers(theirs, stranger).rotate(providerId, { apiKey: KEY })).status).toBe(404);
    expect((await providers(theirs, stranger).remove(providerId)).status).toBe(404);
  });

  it('should delete a provider (204) with its versions, audited', async () => {
    expect((await providers().remove(providerId)).status).toBe(204);
    expect(await ctx.prisma.providerSecret.count({ where: { providerId } })).toBe(0);
    expect((await providers().list()).body.data).toEqual([]);
    expect(await ctx.prisma.auditLog.count({ where: { targetId: providerId, action: 'provider.delete' } })).toBe(1);
  });
});
