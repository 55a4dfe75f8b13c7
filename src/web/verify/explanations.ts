// Plain-language explanations of each verifier check, for people who are not auditors: what it
// shows when it passes, and why it may be skipped here.

const EXPLAIN: Record<string, string> = {
  'quote.parse': 'The server sent a hardware attestation ("quote") in the format Intel TDX machines produce.',
  'quote.signature': 'The quote is signed by the attestation key of the machine it came from, so it was not altered on the way.',
  'quote.qe_report': 'That attestation key was vouched for by Intel\'s quoting enclave on the same machine.',
  'quote.pck_chain': 'The machine\'s certificate leads up to Intel\'s root certificate, which is built into the verifier. A simulated report leads to a test root instead.',
  'quote.td_attributes': 'The confidential VM was not started in debug mode, which would let the host read its memory, and its other security settings are the ones Intel requires.',
  'quote.tcb': 'The machine\'s firmware and microcode are up to date according to Intel\'s published status.',
  'report_data.binding': 'The key that signs every reply is bound into the quote, so replies signed with it come from this attested code.',
  'report_data.nonce': 'The quote contains the random number your browser just made, so it is fresh and not a replay.',
  'os.measurements': 'The firmware, kernel and operating system that booted are a dstack release the verifier trusts, not a custom image that could claim anything.',
  'event_log.replay': 'Replaying the boot log reproduces the measurements the hardware recorded: the log is the true record of what booted.',
  'app_compose.hash': 'The application configuration that was measured at boot is the one shown in the report.',
  'app_compose.mrconfigid': 'The configuration hash is also fixed in the virtual machine\'s identity when it was launched.',
  'app_compose.images_pinned': 'Every container image in that configuration is pinned by its exact digest, so it cannot be swapped later.',
  'signature.response': 'The reply was signed by the attested key over exactly the bytes your browser sent and received.',
  simulated: 'Whether this is real hardware. A simulated report proves nothing about confidentiality: it exists only for development.',
};

/** Why a check is skipped in the browser (it needs something the page does not fetch or have). */
const WHY_SKIPPED: Record<string, string> = {
  'quote.tcb': 'Skipped here: checking whether the firmware is up to date needs Intel\'s current status files, and this page makes no requests to anyone but this server. An auditor runs this check with those files.',
  'os.measurements': 'Skipped here: the report names an operating system image this verifier has no reference measurements for. An auditor compares it with the published dstack release.',
  'app_compose.images_pinned': 'Skipped here: the report carries no application configuration to inspect.',
  'signature.response': 'Skipped: there is no reply to check.',
};

export function explainCheck(id: string): string {
  return EXPLAIN[id] ?? '';
}

export function whySkipped(id: string): string {
  return WHY_SKIPPED[id] ?? 'Skipped here: this check needs information the report or this page does not have. It does not count for or against the server.';
}

/** A verifier detail without command-line options (people here use the page, not a terminal). */
export function plainDetail(detail: string): string {
  return detail
    .replace(/\s*\([^()]*--[a-z][^()]*\)/g, '')
    .replace(/\s*--[a-z][a-z-]*( [A-Z]+)?/g, '')
    .replace(/\s+unless simulated reports are allowed\b/, '')
    .trim();
}
