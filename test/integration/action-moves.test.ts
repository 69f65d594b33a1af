import { describe, expect, it } from 'vitest';
import { ACTION_MOVES, ACTION_STATUSES, type ActionMove, type ActionRecord, type ActionStatus } from '../../src/model/action.js';
import { newActionId, paramsHash } from '../../src/store/action-repository.js';
import { openTempStore } from '../helpers/temp-store.js';

type TempStore = Awaited<ReturnType<typeof openTempStore>>;

async function actionIn(store: TempStore, status: ActionStatus): Promise<string> {
  const [r] = await store.tracker.ingest([{ server_id: 'test-server', name: 'cpu', context: 'system.cpu', chart: 'system.cpu', status: 'WARNING', source: 'opsagent', occurred_at: Date.now() }]);
  const now = Date.now();
  const a: ActionRecord = {
    id: newActionId(now), issue_id: r!.issue_id!, server_id: 'test-server', action_type: 'clear_cache', risk: 'low', params: {},
    params_hash: paramsHash({}), reason: '', status, decision_reason: null, decided_by: null, decided_at: null, analysis_comment_id: null,
    created_at: now, expires_at: null, executed_at: null, finished_at: null, output: null, success: null, dry_run: false,
    verification: null, verify_deadline: null, verified_at: null,
  };
  await store.db.transaction((tx) => store.actions.insert(tx, a));
  return a.id;
}

const cases = (Object.entries(ACTION_MOVES) as [ActionMove, { from: readonly ActionStatus[]; to: readonly ActionStatus[] }][]).flatMap(([move, m]) =>
  ACTION_STATUSES.map((start) => ({ move, start, to: m.to[0]!, allowed: m.from.includes(start) })),
);

describe('action lifecycle: named moves as compare-and-set on a real SQLite file', () => {
  it.each(cases.filter((c) => c.allowed))('$move from $start moves it to $to', async ({ move, start, to }) => {
    const store = await openTempStore();
    const id = await actionIn(store, start);
    const result = await store.db.transaction((tx) => store.actions.move(tx, id, move, to as never, { decided_by: 'alice' }));
    expect(result).toEqual({ moved: true });
    expect(await store.actions.get(id)).toMatchObject({ status: to, decided_by: 'alice' });
  });

  it.each(cases.filter((c) => !c.allowed))('$move from $start changes nothing and says where it is', async ({ move, start, to }) => {
    const store = await openTempStore();
    const id = await actionIn(store, start);
    const result = await store.db.transaction((tx) => store.actions.move(tx, id, move, to as never, { decided_by: 'alice' }));
    expect(result).toEqual({ moved: false, now: start });
    expect(await store.actions.get(id)).toMatchObject({ status: start, decided_by: null });
  });

  it('lets exactly one of two concurrent approvals win', async () => {
    const store = await openTempStore();
    const id = await actionIn(store, 'pending_approval');
    const [a, b] = await Promise.all([
      store.db.transaction((tx) => store.actions.move(tx, id, 'approve', 'approved', { decided_by: 'alice' })),
      store.db.transaction((tx) => store.actions.move(tx, id, 'reject', 'rejected', { decided_by: 'bob' })),
    ]);
    expect([a, b]).toEqual([{ moved: true }, { moved: false, now: 'approved' }]);
    expect(await store.actions.get(id)).toMatchObject({ status: 'approved', decided_by: 'alice' });
  });

  it('says a missing action is nowhere', async () => {
    const store = await openTempStore();
    expect(await store.db.transaction((tx) => store.actions.move(tx, 'act-0-none', 'claim', 'executing'))).toEqual({ moved: false, now: undefined });
  });
});
