// The plan form (templates/plans/form.html): list the chosen departments' items only, and filter
// the regions and industries by a search box. Without this script every department's items are
// listed, grouped by department, and the server still refuses an item of a department not in the plan.
(function () {
  "use strict";
  var form = document.querySelector("form.plan-form");
  if (!form) { return; }

  // Items: the lead department's and those of the ticked joint departments. The items of a
  // department not chosen are hidden and disabled (not sent), and come back ticked as they were.
  var groups = form.querySelectorAll(".item-group[data-department]");
  function chosen() {
    var codes = [form.dataset.lead];
    form.querySelectorAll("input[name=other_departments]:checked").forEach(function (box) {
      codes.push(box.value);
    });
    return codes;
  }
  function showItems(first) {
    var codes = chosen();
    groups.forEach(function (group) {
      // On the first showing, a group with ticked items stays in view so that its error can be seen.
      var on = codes.indexOf(group.dataset.department) >= 0 ||
        (first && group.querySelector("input:checked") !== null);
      group.hidden = !on;
      group.querySelectorAll("input").forEach(function (box) { box.disabled = !on; });
    });
  }
  form.querySelectorAll("input[name=other_departments]").forEach(function (box) {
    box.addEventListener("change", function () { showItems(false); });
  });
  showItems(true);
  form.querySelectorAll("[data-js-only]").forEach(function (element) { element.hidden = false; });

  // Search boxes over lists of checkboxes: keep the options whose name or code matches.
  form.querySelectorAll("[data-filter]").forEach(function (box) {
    var search = box.querySelector("input[type=search]");
    var empty = box.querySelector("[data-empty]");
    var options = box.querySelectorAll(".choice-list input[type=checkbox]");
    search.hidden = false;
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }  // searching does not submit the plan
    });
    search.addEventListener("input", function () {
      var wanted = search.value.trim().toLowerCase();
      var shown = 0;
      options.forEach(function (option) {
        var row = option.closest("div");
        var text = (row.textContent + " " + option.value).toLowerCase();
        var hit = wanted === "" || text.indexOf(wanted) >= 0;
        row.hidden = !hit;
        if (hit) { shown += 1; }
      });
      empty.hidden = shown > 0;
    });
  });
})();
