// The official dstack SDK, resolved from this package's own node_modules (see package.json).
export { DstackClient } from '@phala/dstack-sdk';
