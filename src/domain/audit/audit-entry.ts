/**
 * The audit history's vocabulary: who did what and when, read back from the event log. Pure: the
 * store hands over raw rows, this names what each one was.
 */

/** What a person (or the bot, for automatic rollbacks) did. Stable: exports and tests rely on it. */
export type AuditAction =
  | 'deploy'
  | 'approval'
  | 'promotion'
  | 'pause'
  | 'resume'
  | 'rollback'
  | 'automatic_rollback'
  | 'abort'
  | 'supersede'
  | 'finished'
  | 'freeze'
  | 'unfreeze'
  | 'freeze_all'
  | 'unfreeze_all'
  | 'lock'
  | 'unlock'
  | 'manual_rollback'
  | 'downgrade_confirmed'
  | 'break_glass'
  | 'refused'
  /** The engine's own steps (provisioning, shifting, readings): in the export, not in the history. */
  | 'progress';

/** Actions recorded without a release (environment-wide inputs); they are the row's `type`. */
export const OPERATOR_ACTIONS = ['freeze', 'unfreeze', 'freeze_all', 'unfreeze_all', 'lock', 'unlock', 'manual_rollback'] as const;
export type OperatorAction = (typeof OPERATOR_ACTIONS)[number];

/** One row of the event log as the store reads it. */
export interface AuditRow {
  id: number;
  kind: 'transition' | 'refusal' | 'operator';
  releaseId: string | null;
  /** Event types joined with '+', or the input's name (refusals, operator rows). */
  type: string;
  /** The input that caused a transition (deploy, approve, tick…), when recorded. */
  input: string | null;
  actor: string | null;
  message: string;
  at: Date;
  /** The release's target environment, or the environment an operator row names. */
  environment: string | null;
  /** Services the release changes, or the one an operator row names. */
  services: string[];
  /** For refusals: the stable refusal code. */
  code: string | null;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string | null;
  action: AuditAction;
  releaseId: string | null;
  environment: string | null;
  services: string[];
  message: string;
  /** The raw event types, for tools that want more than the action. */
  type: string;
  code: string | null;
}

const INPUT_ACTIONS: Record<string, AuditAction> = {
  deploy: 'deploy',
  approve: 'approval',
  promote: 'promotion',
  pause: 'pause',
  resume: 'resume',
  rollback: 'rollback',
  abort: 'abort',
  supersede: 'supersede',
};

/** Event types that name an action whatever input caused them (inputs other issues add name them too). */
const EVENT_ACTIONS: Array<[string, AuditAction]> = [
  ['downgrade_confirmed', 'downgrade_confirmed'],
  ['break_glass', 'break_glass'],
  ['freeze_all', 'freeze_all'],
  ['unfreeze_all', 'unfreeze_all'],
];

function isOperatorAction(type: string): type is OperatorAction {
  return (OPERATOR_ACTIONS as readonly string[]).includes(type);
}

export function auditActionOf(row: Pick<AuditRow, 'kind' | 'type' | 'input'>): AuditAction {
  if (row.kind === 'refusal') return 'refused';
  if (row.kind === 'operator') return isOperatorAction(row.type) ? row.type : 'progress';
  const types = row.type.split('+');
  for (const [type, action] of EVENT_ACTIONS) if (types.includes(type)) return action;
  const byInput = row.input ? INPUT_ACTIONS[row.input] : undefined;
  if (byInput) return byInput;
  if (types.includes('rollback_started') || types.includes('abort_started')) return 'automatic_rollback';
  if (types.includes('finished')) return 'finished';
  return 'progress';
}

export function auditEntryOf(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    at: row.at.toISOString(),
    actor: row.actor,
    action: auditActionOf(row),
    releaseId: row.releaseId,
    environment: row.environment,
    services: row.services,
    message: row.message,
    type: row.type,
    code: row.code,
  };
}

/** How the history names an action, after the actor: "<@U1> approved …". */
export const ACTION_LABELS: Record<AuditAction, string> = {
  deploy: 'deployed',
  approval: 'approved',
  promotion: 'promoted',
  pause: 'paused',
  resume: 'resumed',
  rollback: 'rolled back',
  automatic_rollback: 'rolled back automatically',
  abort: 'aborted',
  supersede: 'superseded',
  finished: 'finished',
  freeze: 'froze',
  unfreeze: 'unfroze',
  freeze_all: 'stopped the line',
  unfreeze_all: 'restarted the line',
  lock: 'locked',
  unlock: 'unlocked',
  manual_rollback: 'rolled back',
  downgrade_confirmed: 'confirmed a downgrade',
  break_glass: 'broke the glass',
  refused: 'was refused',
  progress: 'progressed',
};

// ── CSV ───────────────────────────────────────────────────────────────────────────────────────

export const AUDIT_CSV_COLUMNS = ['id', 'at', 'actor', 'action', 'release_id', 'environment', 'services', 'type', 'code', 'message'] as const;

/** RFC 4180: quote a field holding a comma, quote or line break; double the quotes inside. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function auditCsvHeader(): string {
  return `${AUDIT_CSV_COLUMNS.join(',')}\r\n`;
}

export function auditCsvLine(entry: AuditEntry): string {
  const fields = [String(entry.id), entry.at, entry.actor ?? '', entry.action, entry.releaseId ?? '', entry.environment ?? '', entry.services.join(' '), entry.type, entry.code ?? '', entry.message];
  return `${fields.map(csvField).join(',')}\r\n`;
}
