/** Factories: users (and their sessions) straight into the test database or through the API. */
import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import type { PrismaClient } from '../../src/db/prisma.js';
import { hashPassword } from '../../src/utils/password.js';

export const STRONG_PASSWORD = 'Violet-Harbor-Lantern-42';

export function uniqueEmail(tag = 'user'): string {
  return `${tag}-${randomBytes(5).toString('hex')}@example.com`;
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

/** Registers through the API (the normal path) and returns credentials and tokens. */
export async function registerUser(app: Express, overrides: { email?: string; name?: string } = {}): Promise<TestUser> {
  const email = overrides.email ?? uniqueEmail();
  const res = await request(app)
    .post('/api/v1/auth/register')
    .send({ email, password: STRONG_PASSWORD, name: overrides.name ?? 'Test User' });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    id: res.body.user.id,
    email,
    password: STRONG_PASSWORD,
    accessToken: res.body.accessToken,
    refreshToken: res.body.refreshToken,
  };
}

/** An admin: created in the database (there is no API to self-promote), then logged in. */
export async function createAdmin(app: Express, prisma: PrismaClient): Promise<TestUser> {
  const email = uniqueEmail('admin');
  const user = await prisma.user.create({
    data: { email, passwordHash: await hashPassword(STRONG_PASSWORD), role: 'admin', name: 'Admin' },
  });
  const res = await request(app).post('/api/v1/auth/login').send({ email, password: STRONG_PASSWORD });
  if (res.status !== 200) throw new Error(`admin login failed: ${res.status}`);
  return {
    id: user.id,
    email,
    password: STRONG_PASSWORD,
    accessToken: res.body.accessToken,
    refreshToken: res.body.refreshToken,
  };
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

export interface TestProject {
  id: string;
  apiKey: string;
  apiKeyId: string;
}

/** Creates a project through the API; returns its id and first key. */
export async function createProject(app: Express, owner: TestUser, name = 'Test project'): Promise<TestProject> {
  const res = await request(app).post('/api/v1/projects').set(bearer(owner.accessToken)).send({ name });
  if (res.status !== 201) throw new Error(`create project failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.project.id, apiKey: res.body.apiKey.key, apiKeyId: res.body.apiKey.id };
}

/** Creates a project through the API with PII redaction on (`piiMode: redact`). */
export async function createRedactingProject(
  app: Express,
  owner: TestUser,
  name = 'Test project',
): Promise<TestProject> {
  const project = await createProject(app, owner, name);
  const res = await request(app)
    .post(`/api/v1/settings/project?projectId=${project.id}`)
    .set(bearer(owner.accessToken))
    .send({ piiMode: 'redact' });
  if (res.status !== 200) throw new Error(`piiMode redact failed: ${res.status} ${JSON.stringify(res.body)}`);
  return project;
}

/**
 * A project whose `default` gateway provider points at `upstream` (a compatible base URL and
 * key; other provider fields override), with project `settings` applied when given.
 */
export async function createGatewayProject(
  app: Express,
  owner: TestUser,
  upstream: { baseUrl: string; apiKey: string; [field: string]: unknown },
  settings: Record<string, unknown> = {},
): Promise<TestProject> {
  const p = await createProject(app, owner);
  const res = await request(app)
    .post(`/api/v1/projects/${p.id}/providers`)
    .set(bearer(owner.accessToken))
    .send({ name: 'default', kind: 'compatible', ...upstream });
  if (res.status !== 201) throw new Error(`create provider failed: ${res.status} ${JSON.stringify(res.body)}`);
  if (Object.keys(settings).length) {
    const s = await request(app)
      .post(`/api/v1/settings/project?projectId=${p.id}`)
      .set(bearer(owner.accessToken))
      .send(settings);
    if (s.status !== 200) throw new Error(`project settings failed: ${s.status} ${JSON.stringify(s.body)}`);
  }
  return p;
}

/** Puts a user on a paid plan (tests that need many projects or requests). */
export async function upgradeUser(
  prisma: PrismaClient,
  userId: string,
  plan: 'pro' | 'enterprise' = 'enterprise',
): Promise<void> {
  await prisma.subscription.upsert({
    where: { userId },
    create: { userId, plan, status: 'active' },
    update: { plan, status: 'active' },
  });
}

export interface TestTenant {
  user: TestUser;
  project: TestProject;
  /** `Authorization: Bearer` for the user's dashboard calls */
  auth: { Authorization: string };
  /** `X-API-Key` for the project's app calls */
  key: { 'X-API-Key': string };
}

/**
 * A tenant in one line: a user registered through the API, on `plan` (free: no subscription
 * row, as after sign-up), with one project and its first API key.
 */
export async function seedTenant(
  ctx: { app: Express; prisma: PrismaClient },
  options: { plan?: 'free' | 'pro' | 'enterprise'; projectName?: string } = {},
): Promise<TestTenant> {
  const user = await registerUser(ctx.app);
  if (options.plan && options.plan !== 'free') await upgradeUser(ctx.prisma, user.id, options.plan);
  const project = await createProject(ctx.app, user, options.projectName);
  return { user, project, auth: bearer(user.accessToken), key: { 'X-API-Key': project.apiKey } };
}
