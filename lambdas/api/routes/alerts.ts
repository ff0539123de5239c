import { z } from 'zod';
import { readAlerts } from '../../shared/queries/alerts';
import { DynamoAlertStateStore } from '../../shared/store/alert-state-store';
import { alertListSchema } from '../schemas';
import { defineRoute } from './route';

/** `GET /v1/alerts`: the current state of every rule × scope (one query of the one `AL` partition). */
export const alertsRoute = defineRoute({
  path: '/v1/alerts',
  method: 'get',
  operationId: 'listAlerts',
  summary: 'Current alert states, firing ones first',
  query: z.object({
    status: z.enum(['ALARM', 'OK']).optional().meta({ description: 'Only alerts in this state.' }),
  }),
  responses: { 200: { description: 'Every alert state.', schema: alertListSchema } },
  handle: async ({ query }, deps) => {
    const rows = await readAlerts(new DynamoAlertStateStore(deps.doc, deps.stateTable));
    return {
      status: 200,
      body: { alerts: rows.filter((r) => query.status === undefined || r.status === query.status) },
    };
  },
});
