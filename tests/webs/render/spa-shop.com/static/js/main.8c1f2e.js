// A tiny client-rendered app: everything a reader sees is built here.
(function () {
  var root = document.getElementById("root");
  root.innerHTML =
    '<header><a href="/">Spa Shop</a></header>' +
    '<main><h1>Our partners</h1>' +
    '<p>We recommend <a href="https://acme-boots.com/spa">Acme hiking boots</a> for every trail.</p>' +
    '<p><a href="/deals">Deals of the week</a></p></main>';
})();
