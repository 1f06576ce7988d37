// Copy buttons of shortened hashes ({% hash_value %}): copy the whole value, say so for a moment.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button.copy[data-copy]");
  if (!button) return;
  const label = button.textContent;
  const done = () => {
    button.textContent = button.dataset.done || "✓";
    setTimeout(() => { button.textContent = label; }, 1500);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(button.dataset.copy).then(done, () => {});
  } else {  // http:// pages: select the whole value for the user to copy
    const details = button.parentElement.querySelector("details");
    if (details) {
      details.open = true;
      const range = document.createRange();
      range.selectNodeContents(details.querySelector("code"));
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
  }
});
