/* The till's small helps (the pages work without them):
   - "Scanner la carte": where the browser has BarcodeDetector and a camera, read the member
     card's QR code and fill the card number (its 10 digits);
   - a payment or refund form is sent once: a second tap while the first is on its way does
     nothing (the server would not charge twice anyway). */
(function () {
  "use strict";

  function sendOnce(form) {
    var sent = false;
    form.addEventListener("submit", function (event) {
      if (sent) { event.preventDefault(); return; }
      sent = true;
    });
  }
  document.querySelectorAll("form[data-once]").forEach(sendOnce);

  var scan = document.getElementById("scan");
  var field = document.getElementById("carte");
  if (!scan || !field || !("BarcodeDetector" in window) ||
      !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return;
  }
  var startButton = document.getElementById("scan-start");
  var stopButton = document.getElementById("scan-stop");
  var view = document.getElementById("scan-view");
  var video = document.getElementById("scan-video");
  var status = document.getElementById("scan-status");
  var stream = null;
  var timer = null;

  function stop() {
    if (timer) { clearTimeout(timer); timer = null; }
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); stream = null; }
    view.hidden = true;
    startButton.hidden = false;
  }

  function found(text) {
    var match = /\d{10}/.exec(String(text).replace(/[\s-]/g, ""));
    if (!match) { return false; }
    field.value = match[0];
    stop();
    field.focus();
    return true;
  }

  function start() {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        view.hidden = false;
        startButton.hidden = true;
        return video.play();
      })
      .then(function tick() {
        if (!stream) { return; }
        detector.detect(video).then(function (codes) {
          for (var i = 0; i < codes.length; i += 1) {
            if (found(codes[i].rawValue)) { return; }
          }
          timer = setTimeout(tick, 250);
        }).catch(function () { timer = setTimeout(tick, 500); });
      })
      .catch(function () {
        stop();
        status.textContent = scan.getAttribute("data-no-camera") || "";
      });
  }

  window.BarcodeDetector.getSupportedFormats().then(function (formats) {
    if (formats.indexOf("qr_code") === -1) { return; }
    scan.hidden = false;
    startButton.addEventListener("click", start);
    stopButton.addEventListener("click", stop);
  }).catch(function () {});
})();
