export * from './types.js';
export * from './decide-entry.js';
export * from './batch.js';
export * from './checks.js';
export * from './estimate.js';
export * from './pause.js';
