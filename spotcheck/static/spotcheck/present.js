// Presentation mode of a draw (投影): the selected entities and their teams, a few at a time in
// large type. "下一组" (or → / space / PageDown) shows the next few, "上一组" (←) the previous ones,
// "自动播放" moves on every five seconds. Without JavaScript every entry is shown.
(() => {
  const stage = document.querySelector(".reveal");
  if (!stage) return;
  const entries = Array.from(stage.querySelectorAll(".reveal-entry"));
  const group = Number(stage.dataset.group) || 5;
  const shown = stage.querySelector("[data-shown]");
  const play = stage.querySelector("[data-play]");
  const playLabel = play.textContent;
  let first = 0;
  let timer = null;

  const show = (start) => {
    first = Math.max(0, Math.min(start, Math.floor((entries.length - 1) / group) * group));
    entries.forEach((entry, n) => entry.classList.toggle("on", n >= first && n < first + group));
    if (shown) shown.textContent = String(Math.min(first + group, entries.length));
    if (first + group >= entries.length) stop();
  };
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = null;
    play.textContent = playLabel;
  };
  stage.classList.add("js");
  stage.querySelector("[data-next]").addEventListener("click", () => show(first + group));
  stage.querySelector("[data-prev]").addEventListener("click", () => show(first - group));
  play.addEventListener("click", () => {
    if (timer) return stop();
    play.textContent = play.dataset.pauseLabel;
    timer = setInterval(() => show(first + group), 5000);
  });
  document.addEventListener("keydown", (event) => {
    if (["ArrowRight", "PageDown", " "].includes(event.key)) { event.preventDefault(); show(first + group); }
    if (["ArrowLeft", "PageUp"].includes(event.key)) { event.preventDefault(); show(first - group); }
  });
  show(0);
})();
