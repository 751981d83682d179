import { moveSuite } from './move-suite.js';

// The whole move suite with a real etcd on loopback as the coordination store (move-suite.ts).
moveSuite('etcd');
