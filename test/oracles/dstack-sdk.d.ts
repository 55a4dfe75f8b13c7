export { DstackClient } from '@phala/dstack-sdk';
