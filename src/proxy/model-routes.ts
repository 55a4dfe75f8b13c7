// GET /v1/models and /v1/models/{id}, as the operator's model policy (src/shared/model-policy.ts)
// says. With ALLOWED_MODELS set the list is that list itself, answered from memory (no upstream
// call; upstream's own objects where its last list had them), and any other model is 404
// without asking upstream. Unset, the list is upstream's, asked for on each call, minus the models
// a chat cannot use. Either way the default model comes first. Models carry no user data.
import Type from 'typebox';
import { AppError } from '../errors.ts';
import { route, type Route } from '../http/route.ts';
import { modelNotFound, type ModelPolicy } from '../shared/model-policy.ts';
import { NO_QUERY, proxyHelpers, type ProxyDeps } from './routes.ts';
import type { ModelNames } from './model-names.ts';
import { modelObjectsOf } from './model-names.ts';
import { passBackHeaders, respondRefusal } from './answer.ts';

const MODEL_SEGMENT = /^[A-Za-z0-9._:@+-]{1,128}$/;

const MODEL_LIST = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(Type.Object({ id: Type.String(), object: Type.Literal('model'), created: Type.Integer(), owned_by: Type.String() })),
});

/** The model routes. */
export function modelRoutes(deps: ProxyDeps & { readonly policy: ModelPolicy; readonly models: ModelNames }): Route[] {
  const h = proxyHelpers(deps);
  const { policy } = deps;
  return [
    route({
      method: 'GET', path: '/v1/models', access: 'user', query: NO_QUERY,
      doc: { tag: 'models', summary: 'The models you may use, the default first: ALLOWED_MODELS, or upstream\'s chat models when unset', response: MODEL_LIST },
      async handle(ctx) {
        h.requireUpstream();
        if (policy.allowed !== null) {
          ctx.body = { object: 'list', data: policy.list(deps.models.known()) };
          return;
        }
        const io = ctx.state.exchange!;
        const answer = await deps.upstream.fetch({ method: 'GET', path: '/models', clientHeaders: ctx.req.headers, requestId: ctx.state.requestId });
        passBackHeaders(io, answer.headers);
        if (answer.status < 200 || answer.status >= 300) return respondRefusal(io, answer.status, answer.headers, answer.body);
        const models = modelObjectsOf(answer.body);
        if (models === null) throw new AppError('upstream_error', 'upstream model list is not a list');
        ctx.body = { object: 'list', data: policy.list(models) };
      },
    }),
    // An id may contain '/' (org/model): the official SDKs send it encoded, as one path segment
    // (`/v1/models/org%2Fmodel`), the one spelling accepted; each of its parts is validated
    // before it goes upstream.
    route({
      method: 'GET', path: '/v1/models/:model', access: 'user', query: NO_QUERY,
      params: Type.Object({ model: Type.String({ maxLength: 520, description: "a model id; one with a '/' (org/model) is sent encoded, as one segment" }) }),
      doc: { tag: 'models', summary: 'Retrieve a model (404 model_not_found for one ALLOWED_MODELS does not list)' },
      handle(ctx, { params }) {
        h.requireUpstream();
        const parts = params.model.split('/');
        if (parts.length > 4 || !parts.every((p) => MODEL_SEGMENT.test(p) && p !== '.' && p !== '..') || !policy.allows(params.model)) {
          throw modelNotFound(params.model);
        }
        return h.forward(ctx, 'GET', `/models/${parts.map(encodeURIComponent).join('/')}`);
      },
    }),
  ];
}
