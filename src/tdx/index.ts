// Public surface of src/tdx: the quote format, event-log replay and report_data layout.
export * from './bytes.ts';
export * from './quote-layout.ts';
export * from './quote-parse.ts';
export * from './quote-build.ts';
export * from './event-log.ts';
export * from './report-data.ts';
export * from './mr-config.ts';
