import { describe, expect, it } from 'vitest';
import {
  type Busy,
  generationParameterName,
  isBusy,
  type Lease,
  lockParameterName,
  MemoryRunLock,
  RunLockError,
  SsmGenerationStore,
  SsmRunLock,
} from '../../lambda/engine/run-lock';
import { FakeSsm } from '../fakes/fake-ssm';

const T0 = 1_700_000_000_000;
const LOCK = lockParameterName('partners');
const request = (owner: string, generation = T0, ttlMs = 60_000) => ({ owner, generation, ttlMs });

function ssmLock() {
  let clock = T0;
  const ssm = new FakeSsm(() => clock);
  const lock = new SsmRunLock(ssm.client, () => clock);
  return { ssm, lock, advance: (ms: number) => (clock += ms) };
}

function expectLease(r: Lease | Busy): Lease {
  if (isBusy(r)) throw new Error(`expected a lease, got busy ${JSON.stringify(r)}`);
  return r;
}

describe('SsmRunLock', () => {
  it('creates the lock parameter with Overwrite false and holds it until released', async () => {
    const { ssm, lock } = ssmLock();
    const lease = expectLease(await lock.acquire('partners', request('run-a')));
    expect(lease).toEqual({
      allowlist: 'partners',
      owner: 'run-a',
      generation: T0,
      acquiredAt: T0,
      expiresAt: T0 + 60_000,
    });
    expect(ssm.callsOf('PutParameter')[0]?.input).toMatchObject({ Name: LOCK, Overwrite: false, Type: 'String' });
    expect(JSON.parse(ssm.parameters.get(LOCK)?.value ?? '')).toMatchObject({ owner: 'run-a', expiresAt: T0 + 60_000 });
    await lock.release(lease);
    expect(ssm.parameters.has(LOCK)).toBe(false);
  });

  it('reports a live holder as busy, with where the lock is and how to clear it', async () => {
    const { lock, advance } = ssmLock();
    expectLease(await lock.acquire('partners', request('run-a')));
    advance(59_000);
    const r = await lock.acquire('partners', request('run-b', T0 + 1));
    expect(r).toEqual({
      busy: { owner: 'run-a', generation: T0, acquiredAt: T0, expiresAt: T0 + 60_000 },
      where: `ssm:${LOCK}`,
      clear: `aws ssm delete-parameter --name ${LOCK}`,
    });
  });

  it('takes over a lock whose holder expired (a crashed run)', async () => {
    const { ssm, lock, advance } = ssmLock();
    expectLease(await lock.acquire('partners', request('run-a')));
    advance(60_001);
    const lease = expectLease(await lock.acquire('partners', request('run-b', T0 + 5)));
    expect(lease.owner).toBe('run-b');
    expect(ssm.calls.map((c) => `${c.command}:${c.outcome}`)).toEqual([
      'PutParameter:ok',
      'PutParameter:ParameterAlreadyExists',
      'GetParameter:ok',
      'DeleteParameter:ok',
      'PutParameter:ok',
    ]);
  });

  it('takes over a lock left by an earlier attempt of the same run id (a Lambda retry)', async () => {
    const { lock, advance } = ssmLock();
    expectLease(await lock.acquire('partners', request('req-1')));
    advance(1000);
    expect(expectLease(await lock.acquire('partners', request('req-1', T0 + 1000))).acquiredAt).toBe(T0 + 1000);
  });

  it('never releases a lock that was taken over since', async () => {
    const { ssm, lock, advance } = ssmLock();
    const stale = expectLease(await lock.acquire('partners', request('run-a')));
    advance(60_001);
    expectLease(await lock.acquire('partners', request('run-b', T0 + 5)));
    await lock.release(stale);
    expect(JSON.parse(ssm.parameters.get(LOCK)?.value ?? '')).toMatchObject({ owner: 'run-b' });
    expect(ssm.callsOf('DeleteParameter')).toHaveLength(1);
  });

  it('treats an unreadable lock value as held until ttl after it was written', async () => {
    const { ssm, lock, advance } = ssmLock();
    ssm.seed(LOCK, 'String', 'locked by hand');
    const busy = await lock.acquire('partners', request('run-b'));
    expect(isBusy(busy) && busy.busy.owner).toBe('unreadable lock value "locked by hand"');
    advance(60_001);
    expect(isBusy(await lock.acquire('partners', request('run-b')))).toBe(false);
  });

  it('is a release of nothing when the lock is already gone', async () => {
    const { ssm, lock } = ssmLock();
    const lease = expectLease(await lock.acquire('partners', request('run-a')));
    ssm.parameters.delete(LOCK);
    await expect(lock.release(lease)).resolves.toBeUndefined();
  });

  it.each([
    ['a denied create', (ssm: FakeSsm) => ssm.failWrites(LOCK, { name: 'AccessDeniedException', status: 400 })],
    ['a throttled read', (ssm: FakeSsm) => ssm.failReads(LOCK, { name: 'ThrottlingException', status: 400 })],
  ])('raises a RunLockError naming the parameter and the grant on %s', async (_, fault) => {
    const { ssm, lock } = ssmLock();
    ssm.seed(LOCK, 'String', JSON.stringify({ owner: 'x', generation: 1, acquiredAt: T0, expiresAt: T0 + 1 }));
    fault(ssm);
    const error = await lock.acquire('partners', request('run-a')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunLockError);
    expect((error as RunLockError).message).toMatch(
      /ssm:\/allowlist-sync\/partners\/lock: .*Exception.*ssm:DeleteParameter on \/allowlist-sync\/partners\/\*/,
    );
  });
});

describe('SsmGenerationStore', () => {
  const NAME = generationParameterName('partners');

  it('reads nothing before the first put, then the last generation put', async () => {
    const ssm = new FakeSsm(() => T0);
    const store = new SsmGenerationStore(ssm.client);
    expect(await store.get('partners')).toBeUndefined();
    await store.put('partners', T0 + 7);
    await store.put('partners', T0 + 9);
    expect(await store.get('partners')).toBe(T0 + 9);
    expect(ssm.callsOf('PutParameter').map((c) => c.input)).toEqual([
      expect.objectContaining({ Name: NAME, Value: String(T0 + 7), Overwrite: true }),
      expect.objectContaining({ Name: NAME, Value: String(T0 + 9), Overwrite: true }),
    ]);
  });

  it.each(['soon', '1.5', '-3', '99999999999999999999'])('refuses a stored value of %j with the fix', async (v) => {
    const ssm = new FakeSsm(() => T0).seed(NAME, 'String', v);
    const error = await new SsmGenerationStore(ssm.client).get('partners').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunLockError);
    expect((error as Error).message).toContain(`aws ssm delete-parameter --name ${NAME}`);
  });

  it('raises a RunLockError when the put is denied', async () => {
    const ssm = new FakeSsm(() => T0);
    ssm.failWrites(NAME, { name: 'AccessDeniedException', status: 400 });
    await expect(new SsmGenerationStore(ssm.client).put('partners', 5)).rejects.toBeInstanceOf(RunLockError);
  });
});

describe('MemoryRunLock', () => {
  it('has the SSM lock semantics: busy while live, taken over once expired, released only by its holder', async () => {
    let clock = T0;
    const lock = new MemoryRunLock(() => clock);
    const a = expectLease(await lock.acquire('partners', request('run-a')));
    expect(isBusy(await lock.acquire('partners', request('run-b')))).toBe(true);
    clock += 60_001;
    const b = expectLease(await lock.acquire('partners', request('run-b')));
    await lock.release(a);
    expect(lock.locks.get('partners')?.owner).toBe('run-b');
    await lock.release(b);
    expect(lock.locks.size).toBe(0);
  });
});
