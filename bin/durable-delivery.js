#!/usr/bin/env node
// Runs the operator CLI from TypeScript sources through tsx, so `npx durable-delivery` works in a checkout.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
