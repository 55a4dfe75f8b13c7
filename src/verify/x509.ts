// Single entry point to @peculiar/x509: it needs a Reflect metadata polyfill loaded first
// (tsyringe throws at import otherwise), and ESM evaluates imports in order.
import 'reflect-metadata';
export * as x509 from '@peculiar/x509';
