import { describe, expect, it } from 'vitest';
import { auditActionOf, auditCsvHeader, auditCsvLine, auditEntryOf } from '../../../src/domain/audit/audit-entry.js';

describe('audit actions', () => {
  it('names a transition by the input a person gave', () => {
    expect(auditActionOf({ kind: 'transition', type: 'approved+stage_started', input: 'approve' })).toBe('approval');
    expect(auditActionOf({ kind: 'transition', type: 'created+provisioning', input: 'deploy' })).toBe('deploy');
    expect(auditActionOf({ kind: 'transition', type: 'promoted', input: 'promote' })).toBe('promotion');
    expect(auditActionOf({ kind: 'transition', type: 'rollback_started', input: 'rollback' })).toBe('rollback');
  });

  it('tells an automatic rollback and a finish from the engine’s own progress', () => {
    expect(auditActionOf({ kind: 'transition', type: 'health_reading+rollback_started', input: 'health_reading' })).toBe('automatic_rollback');
    expect(auditActionOf({ kind: 'transition', type: 'service_converged+finished', input: 'traffic_applied' })).toBe('finished');
    expect(auditActionOf({ kind: 'transition', type: 'health_reading', input: 'health_reading' })).toBe('progress');
  });

  it('names confirmed downgrades and break-glass whatever input carried them', () => {
    expect(auditActionOf({ kind: 'transition', type: 'downgrade_confirmed+provisioning', input: 'confirm_downgrade' })).toBe('downgrade_confirmed');
    expect(auditActionOf({ kind: 'transition', type: 'break_glass', input: 'deploy' })).toBe('break_glass');
  });

  it('reads refusals and environment-wide operator rows', () => {
    expect(auditActionOf({ kind: 'refusal', type: 'deploy', input: 'deploy' })).toBe('refused');
    expect(auditActionOf({ kind: 'operator', type: 'freeze', input: 'freeze' })).toBe('freeze');
    expect(auditActionOf({ kind: 'operator', type: 'something_new', input: null })).toBe('progress');
  });
});

describe('audit CSV', () => {
  it('quotes commas, quotes and line breaks as RFC 4180 says', () => {
    const entry = auditEntryOf({
      id: 7,
      kind: 'operator',
      releaseId: null,
      type: 'freeze',
      input: 'freeze',
      actor: 'U0BOB',
      message: 'froze production: "incident", sev 1\nsecond line',
      at: new Date('2026-11-23T15:00:00Z'),
      environment: 'production',
      services: [],
      code: null,
    });
    expect(auditCsvHeader()).toBe('id,at,actor,action,release_id,environment,services,type,code,message\r\n');
    expect(auditCsvLine(entry)).toBe('7,2026-11-23T15:00:00.000Z,U0BOB,freeze,,production,,freeze,,"froze production: ""incident"", sev 1\nsecond line"\r\n');
  });
});
