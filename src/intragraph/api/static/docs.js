// Swagger UI from the package's own copy (fastapi-offline ships it): the docs work without
// internet, under the same Content-Security-Policy as the chart page (no inline script).
window.addEventListener("DOMContentLoaded", () => {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: false,
  });
});
