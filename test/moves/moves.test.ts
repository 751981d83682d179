import { moveSuite } from './move-suite.js';

// The whole move suite with the embedded file store (move-suite.ts).
moveSuite('file');
