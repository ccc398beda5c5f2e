/** The OpenAPI 3.1 document, generated from the endpoint table and its zod schemas (api.ts). */
import { z } from "zod";
import { ENDPOINTS, type Endpoint, errorSchema } from "./api.js";

type JsonSchema = Record<string, unknown>;

const toSchema = (schema: z.ZodType, io: "input" | "output"): JsonSchema => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: "any",
    target: "draft-2020-12",
    reused: "inline",
  }) as JsonSchema;
  return rest;
};

/** Query/path parameters from an object schema: one parameter per property. */
function parameters(schema: z.ZodType | undefined, where: "path" | "query"): JsonSchema[] {
  if (!schema) return [];
  const json = toSchema(schema, "input") as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === "path" || (json.required ?? []).includes(name),
    schema: property,
    ...(typeof property.description === "string" ? { description: property.description } : {}),
  }));
}

const ERROR_RESPONSES = {
  "400": "Invalid input; `path` names the field (e.g. body.value, query.limit).",
  "401": "Not logged in, or an unknown API token.",
  "403": "The role does not allow it, the CSRF token is missing, or the password must be changed first.",
  "404": "No such resource.",
};

let cached: JsonSchema | undefined;

export function openApiDocument(): JsonSchema {
  if (cached) return cached;
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const error = { "application/json": { schema: { $ref: "#/components/schemas/Error" } } };
  for (const [name, endpoint] of Object.entries(ENDPOINTS) as [string, Endpoint][]) {
    const path = endpoint.path.replace(/:([A-Za-z]+)/g, "{$1}");
    const produces = endpoint.produces ?? "application/json";
    const operation: JsonSchema = {
      operationId: name,
      tags: [endpoint.tag],
      summary: endpoint.summary,
      description:
        endpoint.access === "public"
          ? "No login needed."
          : endpoint.access === "session"
            ? "Any logged-in user."
            : `Needs the permission \`${endpoint.access}\` (see docs/protocols/http.md for the role table).`,
      ...(endpoint.access === "public" ? { security: [] } : {}),
      parameters: [...parameters(endpoint.params, "path"), ...parameters(endpoint.query, "query")],
      ...(endpoint.body
        ? {
            requestBody: {
              required: true,
              content: { "application/json": { schema: toSchema(endpoint.body, "input") } },
            },
          }
        : {}),
      responses: {
        "200": {
          description: "OK",
          content: {
            [produces]: {
              schema: endpoint.response
                ? toSchema(endpoint.response, "output")
                : produces === "application/json"
                  ? {}
                  : { type: "string" },
            },
          },
        },
        ...Object.fromEntries(
          Object.entries(ERROR_RESPONSES).map(([status, description]) => [status, { description, content: error }]),
        ),
      },
    };
    paths[path] ??= {};
    (paths[path] as Record<string, JsonSchema>)[endpoint.method.toLowerCase()] = operation;
  }
  cached = {
    openapi: "3.1.0",
    info: {
      title: "bms-gateway REST API",
      version: "1",
      description:
        "Battery-monitoring gateway: plant, strings, blocks, history, alarms, events, discharges, settings, users, API tokens, live updates (SSE). Log in with POST /api/login (session cookie + X-CSRF-Token for writes) or send `Authorization: Bearer <API token>`.",
    },
    servers: [{ url: "/" }],
    security: [{ session: [] }, { token: [] }],
    components: {
      securitySchemes: {
        session: { type: "apiKey", in: "cookie", name: "__Host-bmsgw-session" },
        token: { type: "http", scheme: "bearer", description: "API token `bmsgw_<id>.<secret>` (POST /api/tokens)." },
      },
      schemas: { Error: toSchema(errorSchema, "output") },
    },
    paths,
  };
  return cached;
}
