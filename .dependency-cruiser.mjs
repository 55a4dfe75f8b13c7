// The layering of src/, checked by `npm run lint` (docs/architecture.md draws it). Imports point
// down: entry points and the composition root → capabilities → web infrastructure → data and
// upstream → the foundation. Within the capabilities, the allowed directions are listed below.
const FOUNDATION = '^src/(shared/|tdx/|errors\\.ts|clock\\.ts|log\\.ts|line-batcher\\.ts|config\\.ts|build-info\\.ts|app-root\\.ts)';
const CAPABILITIES = '^src/(identity|conversations|limits|audit|attestation|admin|proxy)/';
const TOP = '^src/(app\\.ts|main\\.ts|cli\\.ts|cli/)';

/** `from` may not import `to`. */
const forbid = (name, comment, from, to) => ({ name, comment, severity: 'error', from: { path: from }, to: { path: to } });

export default {
  forbidden: [
    { name: 'no-circular', comment: 'no import cycles, type-only ones included', severity: 'error', from: {}, to: { circular: true } },
    forbid('foundation-stays-at-the-bottom', 'shared types, errors, clock, log, config and the quote format import nothing else of the server',
      FOUNDATION, '^src/(?!shared/|tdx/|errors\\.ts|clock\\.ts|log\\.ts|line-batcher\\.ts|config\\.ts|build-info\\.ts|app-root\\.ts)'),
    forbid('verify-is-pure', 'the auditor\'s library runs in a terminal and a browser: it imports only the quote format',
      '^src/verify/', '^src/(?!verify/|tdx/)'),
    forbid('web-app-imports-only-the-verifier', 'the browser app shares the verifier, nothing of the server',
      '^src/web/', '^src/(?!web/|verify/|tdx/)'),
    forbid('infrastructure-below-capabilities', 'db and upstream know nothing of the capabilities or the web layer',
      '^src/(db|upstream)/', `${CAPABILITIES}|^src/http/|${TOP}`),
    forbid('http-below-capabilities', 'the frame, routing and bodies are generic: no capability is imported by them',
      '^src/http/', `${CAPABILITIES}|${TOP}`),
    forbid('capabilities-below-the-top', 'only app.ts wires capabilities together; no capability reaches up', CAPABILITIES, TOP),
    forbid('conversations-alone', 'conversations (ownership) depend on no other capability', '^src/conversations/', '^src/(identity|attestation|admin|proxy|audit|limits)/'),
    forbid('audit-alone', 'the audit log depends on no other capability', '^src/audit/', '^src/(identity|attestation|admin|proxy|conversations|limits)/'),
    forbid('limits-alone', 'the limits depend on no other capability (the proxy calls them; shared/ holds what both need)', '^src/limits/', '^src/(identity|attestation|admin|proxy|conversations|audit)/'),
    forbid('identity-uses-only-leaves', 'identity may use audit, limits and ownership, never the proxy, admin or attestation', '^src/identity/', '^src/(attestation|admin|proxy)/'),
    forbid('proxy-never-imports-attestation', 'the signer subscribes to exchange events app.ts wires; the proxy knows no consumer', '^src/proxy/', '^src/(attestation|admin|identity|audit)/'),
    forbid('attestation-beside-the-proxy', 'attestation reads exchange events through shared/, never the proxy', '^src/attestation/', '^src/(proxy|admin|identity|audit)/'),
    forbid('admin-uses-services', 'admin acts through identity, limits and audit', '^src/admin/', '^src/(proxy|attestation)/'),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    exclude: { path: '^src/web/(dist|node_modules)' },
  },
};
