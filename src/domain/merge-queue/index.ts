export * from './types.js';
export * from './decide-entry.js';
export * from './batch.js';
export * from './checks.js';
export * from './estimate.js';
export * from './pause.js';
export * from './effects.js';
export * from './webhook-event.js';
