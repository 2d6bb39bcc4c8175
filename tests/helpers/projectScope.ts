/**
 * The sharding plan's rule, checked on real SQL (docs/SCALING.md): every statement that reads or
 * changes a per-project table (one with a "projectId" column, bar the reference tables) names
 * the project, so under Citus it goes to one shard. `captureSql()` records what the app sends
 * through node-postgres; `unscopedAccess()` asks PostgreSQL for each statement's plan (EXPLAIN,
 * with the statement's own parameters) and reports every scan of a per-project table (or of one
 * of its partitions) that has no `"projectId" = <value>` condition, and every call of a
 * database function that touches such a table (the plan cannot look inside it).
 */
import pg from 'pg';

export interface CapturedStatement {
  text: string;
  values: unknown[];
}

/**
 * Records every statement sent by any pg client of this process until `stop()`. Each text is
 * kept with up to `perText` sets of parameters (plans differ with the values: partitions).
 */
export function captureSql(perText = 3): { statements: () => CapturedStatement[]; stop: () => void } {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const seen = new Map<string, unknown[][]>();
  proto.query = function (this: unknown, ...args: unknown[]) {
    const [first, second] = args;
    const text = typeof first === 'string' ? first : (first as { text?: unknown } | null)?.text;
    if (typeof text === 'string') {
      const values = (typeof first === 'string' ? second : (first as { values?: unknown }).values) ?? ([] as unknown[]);
      const list = seen.get(text) ?? [];
      if (list.length < perText && Array.isArray(values)) list.push(values);
      seen.set(text, list);
    }
    return original.apply(this, args);
  };
  return {
    statements: () =>
      [...seen].flatMap(([text, sets]) => (sets.length ? sets : [[]]).map((values) => ({ text, values }))),
    stop: () => {
      proto.query = original;
    },
  };
}

export interface ScopeModel {
  /** per-project tables: under Citus, distributed by "projectId" */
  distributed: string[];
  /** database functions whose body reads or writes a distributed table */
  functions: string[];
}

/** Every table with a "projectId" column, bar `reference` (replicated whole to every node). */
export async function scopeModel(client: pg.Client, reference: readonly string[]): Promise<ScopeModel> {
  const tables = await client.query<{ name: string }>(`
    SELECT c.relname AS name FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    WHERE a.attname = 'projectId' AND NOT a.attisdropped AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND c.relnamespace = current_schema()::regnamespace
    ORDER BY 1`);
  const distributed = tables.rows.map((r) => r.name).filter((t) => !reference.includes(t));
  const fns = await client.query<{ name: string }>(
    `SELECT proname AS name FROM pg_proc
     WHERE pronamespace = current_schema()::regnamespace AND prosrc ~ $1 ORDER BY 1`,
    [`\\m(${distributed.join('|')})\\M`],
  );
  return { distributed, functions: fns.rows.map((r) => r.name) };
}

/** Whether `text` names one of `tables` (a cheap filter before EXPLAIN: a false hit only costs a plan). */
export const mentionsAny = (text: string, tables: readonly string[]) => tables.some((t) => text.includes(t));

/** Statements that cannot be EXPLAINed and never touch a table's rows. */
const NOT_A_QUERY =
  /^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|SET|RESET|SHOW|LISTEN|UNLISTEN|NOTIFY|DEALLOCATE|DISCARD|LOCK|VACUUM|ANALYZE|CREATE|DROP|ALTER|TRUNCATE|COPY)\b/i;
const SCAN = /Scan$/;
const CONDITIONS = ['Index Cond', 'Recheck Cond', 'Filter', 'TID Cond'] as const;
/** `"projectId" = 'x'::text`, `= $1`, `= ANY ('{x,y}'::text[])`: a value, never another column. */
const PROJECT_PREDICATE = /"projectId" = (\$\d+|'(?:[^']|'')*'::text|ANY \((\$\d+|'(?:[^']|'')*'::text\[\])\))/;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Alias?: string;
  Plans?: PlanNode[];
  [key: string]: unknown;
}

/** The table a relation belongs to: a partition llm_requests_p202612 or _default is llm_requests. */
const tableOf = (relation: string) => relation.replace(/_(p\d{6}|default)$/, '');

function conditionsOf(node: PlanNode): string[] {
  const own = CONDITIONS.map((k) => node[k]).filter((v): v is string => typeof v === 'string');
  // A bitmap heap scan's index conditions are on its bitmap index scans.
  const bitmaps = (node.Plans ?? []).filter((p) => /^Bitmap (Index|And|Or)/.test(p['Node Type']));
  return [...own, ...bitmaps.flatMap(conditionsOf)];
}

function unscopedScans(node: PlanNode, distributed: Set<string>, out: string[]): void {
  const relation = node['Relation Name'];
  if (relation && SCAN.test(node['Node Type']) && distributed.has(tableOf(relation))) {
    const conds = conditionsOf(node);
    if (!conds.some((c) => PROJECT_PREDICATE.test(c))) {
      out.push(`${node['Node Type']} on ${relation}${conds.length ? ` (${conds.join(' AND ')})` : ''}`);
    }
  }
  for (const child of node.Plans ?? []) unscopedScans(child, distributed, out);
}

/**
 * What in `statement` reaches per-project rows without naming the project: unscoped scans from
 * its plan, and calls of functions that touch per-project tables. Empty when it is single-project.
 */
export async function unscopedAccess(
  client: pg.Client,
  model: ScopeModel,
  statement: CapturedStatement,
): Promise<string[]> {
  const { text, values } = statement;
  const found: string[] = [];
  for (const fn of model.functions) {
    if (text.includes(`${fn}(`)) found.push(`calls ${fn}()`);
  }
  const touches = mentionsAny(text, model.distributed);
  if (!touches || NOT_A_QUERY.test(text)) return found;
  const res = await client.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(`EXPLAIN (FORMAT JSON) ${text}`, values);
  unscopedScans(res.rows[0]!['QUERY PLAN'][0]!.Plan, new Set(model.distributed), found);
  return found;
}
