// The API's enumerations, read from its OpenAPI document (one source: the server's models), so the
// page offers exactly the values the API accepts; their labels come from the catalogue.
const LIST_PATH = "/tenants/{tenant_id}/invoices";

function resolve(document, schema) {
  if (schema?.$ref) return resolve(document, document.components.schemas[schema.$ref.split("/").pop()]);
  const alternative = schema?.anyOf?.find((option) => option.type !== "null");
  if (alternative) return resolve(document, alternative);
  if (schema?.items) return resolve(document, schema.items);
  return schema ?? {};
}

function values(document, schema) {
  return resolve(document, schema).enum ?? [];
}

/** {sources, channels, timings, languages, states}: the values of the settings' fields and of the list's filter. */
export async function loadEnums(api) {
  const document = await api.openapi();
  const settings = document.components.schemas.Settings.properties;
  const stateFilter = document.paths[LIST_PATH].get.parameters.find((parameter) => parameter.name === "state");
  return {
    sources: values(document, settings.sources),
    channels: values(document, settings.channels),
    timings: values(document, settings.timing),
    languages: values(document, settings.language),
    states: values(document, stateFilter?.schema),
  };
}
