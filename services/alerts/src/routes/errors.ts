import { z } from 'zod';

/** The body of every error response. `field` names the offending request field of a 400. */
export const ErrorBody = z.object({
  statusCode: z.number().int(),
  error: z.string(),
  message: z.string(),
  field: z.string().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

export const notFound = (message: string): ErrorBody => ({ statusCode: 404, error: 'Not Found', message });
export const badRequest = (field: string, message: string): ErrorBody => ({
  statusCode: 400,
  error: 'Bad Request',
  message: `${field}: ${message}`,
  field,
});

export const errorResponses = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
