/* global process */
// Loaded with `node --import` after tsx: registers a load hook that appends the URL of every module
// the process loads to the file named by DD_MODULE_LOG, so a test can read the real module graph.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url, { data: { logPath: process.env.DD_MODULE_LOG } });
