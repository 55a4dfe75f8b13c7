// The one error the verifier library throws: input it cannot verify at all (a report that is
// not one, bad option hex, an unusable policy). Everything else is a failed check.

/** Thrown for unusable options (bad nonce or hash hex, bad policy) and for input that is not a report at all. */
export class VerifyInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VerifyInputError';
  }
}
