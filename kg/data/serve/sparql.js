// YASGUI on this endpoint only, and kg's library queries as examples (built with textContent only).
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("kg-data").textContent);
  var endpoint = location.origin + "/sparql";
  // Completers that ask services on the network (Linked Open Vocabularies) are left out.
  Yasgui.Yasqe.defaults.autocompleters = ["prefixes", "variables"];
  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    persistenceId: null,
    yasqe: { value: data.start }
  });
  window.kgYasgui = yasgui;
  var list = document.getElementById("kg-examples");
  data.queries.forEach(function (query) {
    var item = document.createElement("li");
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = query.name;
    button.title = query.title;
    button.addEventListener("click", function () {
      var tab = yasgui.getTab();
      tab.setEndpoint(endpoint);
      tab.setQuery(query.text);
    });
    item.appendChild(button);
    var title = document.createElement("span");
    title.textContent = " " + query.title;
    item.appendChild(title);
    list.appendChild(item);
  });
  window.kgReady = true;
})();
