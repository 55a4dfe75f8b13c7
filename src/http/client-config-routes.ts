// GET /v1/config: what a client (the web app) needs to know before the user acts — the default
// model and the attachment limits, so it can refuse a too-large file before sending it. Public
// and free of secrets: the operator's choices only.
import Type from 'typebox';
import { route, type Route } from './route.ts';

/** Image types the web app may attach (sent inline as `input_image` data URLs). */
export const ATTACHMENT_IMAGE_TYPES: readonly string[] = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'];
/** The most a text attachment (inlined as text) may hold. */
export const TEXT_ATTACHMENT_MAX_BYTES = 1024 * 1024;

const CLIENT_CONFIG = Type.Object({
  object: Type.Literal('cloister.config'),
  default_model: Type.Union([Type.String(), Type.Null()], { description: 'DEFAULT_MODEL, else the first of ALLOWED_MODELS, else null' }),
  attachments: Type.Object({
    max_bytes: Type.Integer({ description: 'ATTACHMENT_MAX_BYTES: the most one attachment may hold; 0: attachments are off' }),
    text_max_bytes: Type.Integer(),
    image_types: Type.Array(Type.String()),
  }),
});

/** GET /v1/config. */
export function clientConfigRoutes(deps: { defaultModel: string | null; attachmentMaxBytes: number }): Route[] {
  const body = {
    object: 'cloister.config',
    default_model: deps.defaultModel,
    attachments: { max_bytes: deps.attachmentMaxBytes, text_max_bytes: TEXT_ATTACHMENT_MAX_BYTES, image_types: ATTACHMENT_IMAGE_TYPES },
  };
  return [
    route({
      method: 'GET', path: '/v1/config', access: 'public',
      doc: { tag: 'operations', summary: 'What a client needs before sending: the default model and the attachment limits (public, nothing secret)', response: CLIENT_CONFIG },
      handle(ctx) {
        ctx.set('cache-control', 'no-cache');
        ctx.body = body;
      },
    }),
  ];
}
