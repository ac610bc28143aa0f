// "Copy invite text" buttons: copy the named textarea, and say so.
for (const button of document.querySelectorAll("[data-copy]")) {
  button.addEventListener("click", async () => {
    const source = document.getElementById(button.dataset.copy);
    const label = button.textContent;
    try {
      await navigator.clipboard.writeText(source.value);
      button.textContent = "Copied";
    } catch {
      source.select();
      button.textContent = "Press Ctrl+C to copy";
    }
    setTimeout(() => { button.textContent = label; }, 2000);
  });
}
