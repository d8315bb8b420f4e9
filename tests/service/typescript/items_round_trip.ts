// What a web app does with the generated TypeScript client: openapi-fetch typed by the contract's types
// (openapi-typescript's schema.d.ts, imported as "items-client"). Bundled by esbuild for Node
// (tests/service/test_clients.py) and for the browser page (tests/service/test_browser.py).
import createClient from "openapi-fetch";
import type { components, paths } from "items-client";

type Item = components["schemas"]["Item"];
type Failure = components["schemas"]["ErrorEnvelope"] | components["schemas"]["GatewayError"];

export function itemsClient(baseUrl: string, token: string) {
  return createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
}

function code(failure: Failure | undefined): string | undefined {
  if (failure === undefined) return undefined;
  return "error" in failure ? failure.error.code : failure.message;
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`no ${what}`);
  return value;
}

/** Creates an item and lists the caller's items: the browser page's calls. */
export async function createAndList(baseUrl: string, token: string) {
  const client = itemsClient(baseUrl, token);
  const created = await client.POST("/items", { body: { name: "browser lamp" } });
  const listed = await client.GET("/items");
  return {
    created: created.response.status,
    etag: created.response.headers.get("etag"),
    listed: listed.response.status,
    names: required(listed.data, "page").items.map((item: Item) => item.name),
  };
}

/** Every call of the contract in the order a client makes them, with what each answered. */
export async function roundTrip(baseUrl: string, token: string, otherToken: string, key: string) {
  const client = itemsClient(baseUrl, token);
  const other = itemsClient(baseUrl, otherToken);
  const body = { name: "lamp", price: "9.90", tags: ["home"] };
  const idempotent = { header: { "Idempotency-Key": key } };

  const first = await client.POST("/items", { body, params: idempotent });
  const retried = await client.POST("/items", { body, params: idempotent });
  const item = required(first.data, "created item");
  const path = { path: { item_id: item.id } };
  const read = await client.GET("/items/{item_id}", { params: path });
  const stranger = await other.GET("/items/{item_id}", { params: path });

  for (const name of ["second", "third"]) {
    await client.POST("/items", { body: { name } });
  }
  const page = await client.GET("/items", { params: { query: { limit: 2 } } });
  const cursor = required(page.data, "first page").next_cursor ?? undefined;
  const rest = await client.GET("/items", { params: { query: { limit: 2, cursor } } });

  const etag = required(read.response.headers.get("etag") ?? undefined, "ETag");
  const replaced = await client.PUT("/items/{item_id}", {
    params: { ...path, header: { "If-Match": etag } },
    body: { name: "desk lamp", price: 12.5 },
  });
  const stale = await client.PUT("/items/{item_id}", {
    params: { ...path, header: { "If-Match": etag } },
    body: { name: "too late" },
  });
  const invalid = await client.POST("/items", { body: { name: "" } });
  const deleted = await client.DELETE("/items/{item_id}", {
    params: { ...path, header: { "If-Match": required(replaced.response.headers.get("etag") ?? undefined, "ETag") } },
  });
  const gone = await client.GET("/items/{item_id}", { params: path });

  return {
    created: [first.response.status, first.response.headers.get("etag"), first.response.headers.get("idempotent-replayed")],
    retried: [retried.response.status, retried.data?.id === item.id, retried.response.headers.get("idempotent-replayed")],
    item: { name: item.name, price: item.price, tags: item.tags, version: item.version },
    read: [read.response.status, read.data?.name, etag],
    stranger: [stranger.response.status, code(stranger.error)],
    pages: [
      page.data?.items.map((listed: Item) => listed.name),
      rest.data?.items.map((listed: Item) => listed.name),
      rest.data?.next_cursor,
    ],
    replaced: [replaced.response.status, replaced.data?.name, replaced.data?.price, replaced.data?.version],
    stale: [stale.response.status, code(stale.error)],
    invalid: [invalid.response.status, code(invalid.error)],
    deleted: [deleted.response.status, gone.response.status, code(gone.error)],
  };
}
