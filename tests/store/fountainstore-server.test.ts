/** The FountainStore test double answers as fountain.md §1.3 documents v0.2.1, so the HTTP backend's tests test against that API. */
import { afterEach, describe, expect, it } from 'vitest';
import { startFountainStoreServer, type FountainStoreServer } from '../helpers/fountainstore-server.ts';

describe('the FountainStore v0.2.1 test server', () => {
  let server: FountainStoreServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${server!.url}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      location: response.headers.get('location'),
      body: text === '' ? undefined : (JSON.parse(text) as unknown),
    };
  }

  it('creates collections under the name rule, 409 when one exists, and lists them in pages', async () => {
    server = await startFountainStoreServer({ basePath: '/v1' });
    expect(await call('POST', '/collections', { name: 'midl.schemas' })).toMatchObject({ status: 201, body: { name: 'midl.schemas', recordsApprox: 0 } });
    const exists = await call('POST', '/collections', { name: 'midl.schemas' });
    expect(exists).toMatchObject({ status: 409, type: 'application/problem+json', body: { title: 'Conflict', status: 409 } });
    expect((await call('POST', '/collections', { name: 'bad/name' })).status).toBe(400);
    expect((await call('POST', '/collections', { name: 'x'.repeat(129) })).status).toBe(400);
    await call('POST', '/collections', { name: 'a' });
    expect(await call('GET', '/collections?pageSize=1')).toMatchObject({ status: 200, body: { items: [{ name: 'a' }], nextPageToken: 'a' } });
    expect(await call('GET', '/collections?pageSize=1&pageToken=a')).toMatchObject({ body: { items: [{ name: 'midl.schemas' }], nextPageToken: null } });
    expect((await fetch(`${server.url.replace('/v1', '')}/collections`)).status).toBe(404);
  });

  it('puts records with 201 and Location, then 200; gets, deletes with 204, and 404s with problem+json', async () => {
    server = await startFountainStoreServer();
    expect((await call('PUT', '/collections/c/records/a', { data: 1 })).status).toBe(404);
    await call('POST', '/collections', { name: 'c' });
    const created = await call('PUT', '/collections/c/records/a%2Fb', { id: 'a/b', data: { x: 1 }, version: 'v9' });
    expect(created).toMatchObject({
      status: 201,
      location: '/collections/c/records/a%2Fb',
      body: { id: 'a/b', data: { x: 1 }, version: null, deleted: false },
    });
    const replaced = await call('PUT', '/collections/c/records/a%2Fb', { data: { x: 2 } });
    expect(replaced).toMatchObject({ status: 200, body: { id: 'a/b', data: { x: 2 } } });
    expect((replaced.body as { sequence: number }).sequence).toBeGreaterThan((created.body as { sequence: number }).sequence);
    expect((await call('PUT', '/collections/c/records/a', { id: 'other', data: 1 })).status).toBe(400);
    expect((await call('PUT', '/collections/c/records/a', { id: 'a' })).status).toBe(400);
    expect(await call('GET', '/collections/c/records/a%2Fb')).toMatchObject({ status: 200, body: { data: { x: 2 } } });
    expect(await call('DELETE', '/collections/c/records/a%2Fb')).toMatchObject({ status: 204 });
    expect(await call('GET', '/collections/c/records/a%2Fb')).toMatchObject({ status: 404, type: 'application/problem+json' });
    expect((await call('DELETE', '/collections/c/records/a%2Fb')).status).toBe(404);
  });

  it('scans by prefix after a key, with a next-page token when more follow', async () => {
    server = await startFountainStoreServer();
    await call('POST', '/collections', { name: 'c' });
    for (const id of ['b2', 'a1', 'b1', 'b3']) await call('PUT', `/collections/c/records/${id}`, { data: id });
    const first = await call('POST', '/collections/c/query', { type: 'scan', prefix: 'b', limit: 2 });
    expect(first.body).toMatchObject({ items: [{ id: 'b1' }, { id: 'b2' }] });
    expect(typeof (first.body as { nextPageToken: unknown }).nextPageToken).toBe('string');
    expect((await call('POST', '/collections/c/query', { type: 'scan', prefix: 'b', startAfter: 'b2', limit: 2 })).body).toEqual({
      items: [{ id: 'b3', data: 'b3', version: null, sequence: 4, deleted: false }],
      nextPageToken: null,
    });
    expect((await call('POST', '/collections/c/query', { type: 'byId', id: 'a1' })).body).toMatchObject({ items: [{ id: 'a1' }] });
    expect((await call('POST', '/collections/c/query', { type: 'scan', limit: 1001 })).status).toBe(400);
  });

  it('checks the key only when one is set, as x-api-key or a Bearer token', async () => {
    server = await startFountainStoreServer({ apiKey: 'k' });
    expect(await call('GET', '/collections')).toMatchObject({ status: 401, type: 'application/problem+json', body: { title: 'Unauthorized' } });
    expect((await call('GET', '/collections', undefined, { 'x-api-key': 'k' })).status).toBe(200);
    expect((await call('GET', '/collections', undefined, { authorization: 'Bearer k' })).status).toBe(200);
    expect((await call('GET', '/collections', undefined, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect(await call('GET', '/health', undefined, { 'x-api-key': 'k' })).toMatchObject({ status: 200, body: { status: 'ok' } });
  });
});
