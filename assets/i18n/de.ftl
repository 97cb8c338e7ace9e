# stepwise — der Nachrichtenkatalog, Deutsch. Dieselben IDs und Variablen
# wie en.ftl; Zahlen wählen die Pluralformen.

## The steps screen

header-car = Fahrzeug { $car }
header-steps-id = stepsID { $id }
header-at = um { $time } UTC
header-not-loaded = nicht geladen
header-watch-on = Beobachten AN
header-watch-live = Beobachten AN · live
header-watch-polling = Beobachten AN · Abfrage alle { $secs } s
header-watch-retrying = Beobachten AN · neuer Versuch
header-watch-off = Beobachten aus
header-autoplay = automatisch
header-guide-lang = Kunde: { $lang }
progress-done = { $done } von { $total } erledigt
progress-filtered = (Filter: { $filter }, { $shown ->
    [one] { $shown } Schritt gezeigt
   *[other] { $shown } Schritte gezeigt
})
list-title = Schritte, der Reihe nach
list-title-filtered = Schritte: nur { $filter }
list-loading = Frage das Gateway nach den Schritten…
list-loading-held = Zurückgehalten: das Gateway bat jede Anfrage zu warten (HTTP 429, die Kopfzeile zählt herunter); die Schritte werden erfragt, wenn die Wartezeit endet.
list-none = Noch keine Liste: r fragt erneut.
list-none-waiting = Noch keine Liste: das Gateway bat zu warten (die Meldung sagt, wie lange); das Beobachten fragt erneut, wenn die Wartezeit vorbei ist.
list-none-sign-in = Noch keine Liste: das Gateway verlangt ein gültiges Token. i drücken, um sich anzumelden, falls es eine Anmeldung anbietet (sonst mit --token-file neu starten); danach wird die Liste erneut abgefragt.
list-none-token-given = Noch keine Liste: das Gateway will ein gültiges Token, und die Anmeldung hier scheitert (die Meldung sagt warum). Beenden und mit einem angegebenen Token neu starten: --token-file DATEI oder STEPWISE_TOKEN.
list-none-unknown-id = Keine Liste: das Gateway kennt diese ID nicht, erneutes Fragen hilft also nicht. Die ID prüfen.
list-none-fix-cause = Keine Liste: erneutes Fragen bringt dieselbe Antwort, bis behoben ist, was die Meldung nennt.
list-empty-filtered = Kein Schritt ist { $filter }. f ändert den Filter.
list-empty = Das Gateway lieferte keine Schritte für diese carAssociationID.
mark-next = JETZT
mark-waits = wartet
mark-status-raw = Status { $status }
mark-waits-for = wartet auf { $order }
guide-title = So macht es der Kunde: { $title }
guide-title-none = Anleitung
guide-no-step = Kein Schritt anzuleiten. Lehnt die App des Kunden den Dienst weiter ab, die carAssociationID prüfen oder den Schritte-Cache mit R zurücksetzen.
guide-waiting = Die Anleitung zum nächsten Schritt erscheint, sobald die Liste da ist.
guide-link = Anleitung:
guide-does = Der Kunde:
guide-needs = Bereithalten:
guide-errors = App-Fehler dieses Schritts:
guide-errors-hint = Taste „e“ erklärt sie
guide-link-archive = Entwicklerdokumentation (archiviert, Englisch):
guide-keys-gateway = „g“ zeigt die Seite des Kunden ({ $lang }) auf dem Gateway als QR-Code, Taste „o“ öffnet sie.
guide-keys-dealer = „g“ zeigt die Hilfeseite des Händlers als QR-Code, Taste „o“ öffnet sie.
guide-keys-archive = „g“ zeigt die archivierte Entwicklerseite als QR-Code, Taste „o“ öffnet sie (das Gateway bietet keine Kundenseiten).
guide-more-below = ↓ mehr: Bild↓
guide-more-above = ↑ mehr oben: Bild↑
list-more-below = ↓ { $count } weitere: j
list-more-above = ↑ { $count } weitere oben: k
ready-title = Dienst bereit
ready-line = Alle Schritte erledigt: der Dienst ist einsatzbereit.
ready-services = Der gebuchte Dienst (Fahrzeugstatus bzw. Fernbedienungsfunktionen) ist jetzt in der App des Kunden nutzbar.
ready-stale-before = Scheitert die App noch mit Fehler 2312 oder 2317, ist der Schritte-Cache veraltet: drücken Sie{" "}
ready-stale-after = {" "}zum Zurücksetzen, dann stimmt die Liste.

## Requests in flight

loading-steps = Schritte werden geladen
loading-held = { $what }, vom Limit des Gateways angehalten (HTTP 429)
loading-refresh = wird aktualisiert
loading-reset = Schritte-Cache wird zurückgesetzt
loading-next = nächster Schritt wird erfragt
loading-customer = der Kunde ist am Zug

## Banners
# Between a banner's title and its text (French puts a space before the colon).
banner-title-sep = {": "}
banner-cut = {" "}… mehr: ein größeres Fenster zeigt alles{" "}
banner-cut-help = {" "}… mehr: ? zeigt alles{" "}

banner-no-steps-id = Noch keine stepsID
banner-no-steps-id-text = Erst mit r aktualisieren.
banner-no-steps-id-in-list-text = Die Liste des Gateways kam ohne stepsID, und der nächste Schritt lässt sich nur per stepsID abfragen: r bringt keine. Dem Betreiber des Gateways sagen, dass seiner Liste die stepsID fehlt.
banner-steps-id-dropped = stepsID verworfen
banner-steps-id-dropped-text = Das Gateway hat die stepsID abgelehnt, die es selbst vergeben hatte, daher wurde sie verworfen; die Liste auf dem Bildschirm ist die letzte, die mit ihr kam. r fragt per carAssociationID eine neue an.
banner-watch-off = Beobachten aus
banner-watch-off-text = w beobachtet wieder.
banner-nothing-to-watch = Nichts zu beobachten
banner-nothing-to-watch-text = Alle Schritte sind schon erledigt.
banner-no-step-shown = Kein Schritt auf dem Bildschirm
banner-no-step-shown-text = g und o geben der Kundin oder dem Kunden die Seite des Schritts auf dem Bildschirm, und dort ist keiner: Es ist noch keine Liste gekommen, oder sie hat keinen Schritt. r fragt die Liste erneut ab.
banner-key-needs-list = { $key } braucht eine Schrittliste, und keine ist gekommen. Warum:
banner-no-step-shown-filter-text = g und o geben der Kundin oder dem Kunden die Seite des Schritts auf dem Bildschirm, und der Filter blendet alle Schritte aus (kein Schritt ist { $filter }). f drücken, bis die Schritte erscheinen, dann einen mit ↑↓ wählen.
banner-watching = Beobachte
banner-watching-text = Die Liste wird verfolgt, bis alles erledigt ist (die Kopfzeile sagt wie: live oder per Abfrage); w stoppt.
banner-list-without-steps-id = Keine stepsID in der Liste
banner-list-without-steps-id-text = Die Liste des Gateways trägt keine stepsID: der Aufruf des nächsten Schritts (n) und Live-Ereignisse können nicht danach fragen, daher fragt die Beobachtung alle { $secs } s per carAssociationID. Dem Betreiber des Gateways melden: eine Liste trägt ihre stepsID.
banner-watch-stopped = Beobachten gestoppt: { $what }
banner-live-trouble = Beobachten unterbrochen: { $what }
banner-live-stalls = Live-Stream nach einem Stillstand wieder da
live-bad-event = der Live-Ereignisstrom des Gateways sandte ein unbrauchbares Ereignis: { $why }. Die Listen selbst sind in Ordnung; den Betreiber des Gateways informieren
live-proxy-held = der Live-Ereignisstrom bekam innerhalb von { $secs } s keine Antwort über den Proxy { $proxy }, obwohl die Listen-Aufrufe über ihn beantwortet werden: Der Proxy hält eine Antwort zurück, die nicht endet (er puffert den Ereignisstrom). Den Betreiber des Proxys bitten, text/event-stream ungepuffert durchzulassen, oder NO_PROXY={ $host } setzen, wenn das Gateway ohne ihn erreichbar ist
banner-live-trouble-text = { $why }. Das Beobachten geht von selbst weiter, sobald es kann; bis dahin kann die Liste veraltet sein.
banner-live-trouble-wait-text = { $why }. Das Gateway bat, { $secs } s zu warten (sein Retry-After): das Beobachten fragt dann erneut; bis dahin kann die Liste veraltet sein.
banner-live-trouble-wait-capped-text = { $why }. Das Gateway bat, { $secs } s zu warten (sein Retry-After); stepwise wartet höchstens { $max } s: das Beobachten fragt dann erneut; bis dahin kann die Liste veraltet sein.
banner-429-capped-text = { $why }. stepwise wartet höchstens { $max } s: dann fragt es erneut (die Kopfzeile zählt herunter), und das Gateway kann das ebenso ablehnen, bis seine eigene Wartezeit vorbei ist.
banner-live-held-text = { $why }. Die Beobachtung fragt nicht von selbst erneut: eine Token-Erneuerung, deren Antwort verloren ging, wird nicht unbeaufsichtigt erneut gesendet (ihr Refresh-Token ist vielleicht verbraucht). r drücken, sobald der Weg zum Identitätsanbieter funktioniert; bis dahin ist die Liste auf dem Bildschirm vielleicht veraltet.
banner-watch-retries = Das Beobachten fragt von selbst erneut (die Kopfzeile sagt „neuer Versuch“); r fragt sofort.
banner-watch-waits = Das Beobachten fragt nach dieser Wartezeit von selbst erneut; früher fragen (r) hilft nicht.
banner-watch-waits-secs = Das Beobachten fragt nach den { $secs } s, die das Gateway zu warten bat, von selbst erneut; früher fragen (r) hilft nicht.
banner-env-restart = Ein laufendes stepwise liest die Proxy-Variablen beim Start: nach dem Ändern beenden (q) und neu starten.
banner-live-fallback = Live-Stream aufgegeben: die Liste wird alle { $secs } s abgefragt
banner-live-fallback-text = Der Ereignisstrom des Gateways schlug immer wieder fehl (zuletzt: { $what }). Das Beobachten geht weiter, indem die Liste alle { $secs } s abgefragt wird: die Liste bleibt aktuell, eine Änderung erscheint bis zu { $secs } s später. Hält das an, melden Sie den Fehler in Klammern dem Betreiber des Gateways oder dem eines Proxys auf dem Weg (ein Strom kann in einem scheitern).
banner-live-fallback-contradicted-text = Sofort aufgegeben: { $what }. Das Beobachten geht weiter, indem die Liste alle { $secs } s abgefragt wird: die Liste bleibt aktuell, eine Änderung erscheint bis zu { $secs } s später.
banner-watch-stopped-text = { $why }. Weiter beobachten brächte nur dieselbe Antwort; nach der Behebung startet w es neu.
banner-run-keeps-refusal = { $why }. Dieser Lauf fragt das Gateway mit dieser Anmeldung nicht mehr, also bekommen r und w wieder diese Antwort: sobald es behoben ist oder nach einem neuen `stepwise login`, beenden Sie mit q und starten stepwise erneut.
banner-customer-idle = Für den Kunden nichts mehr zu tun
banner-customer-idle-text = Alle Schritte sind erledigt.
banner-no-report-place = Kein Ort für den Bericht
banner-no-report-place-text = Kein Benutzerdatenordner vorhanden; --report PFAD verwenden.
banner-report-written = Bericht geschrieben
banner-note-kept = Notiz übernommen
banner-note-kept-text = Sie steht im Sitzungsbericht.
banner-note-kept-press-x-text = Sie kommt in den Sitzungsbericht, den x schreibt (kein --report angegeben): vor dem Beenden x drücken. q mit einer ungeschriebenen Notiz fragt nach, ein zweites q beendet ohne sie; ein anders beendeter Lauf (Strg-C, ein geschlossenes Fenster) schreibt ihn dorthin, wo x schreibt.
banner-note-token = Notiz nicht übernommen
banner-note-token-text = Sie enthält etwas, das wie ein Anmelde-Token aussieht, und ein Token kommt nie in einen Bericht. N drücken und die Notiz ohne es eingeben.
banner-note-token-word-text = Sie enthält etwas, das wie ein Anmelde-Token aussieht (das Wort aus { $len } Zeichen, das mit { $start }… beginnt), und ein Token kommt nie in einen Bericht. N drücken: die Notiz kommt wie eingegeben zurück, um dieses Wort herauszunehmen.
report-note-token-left-out = eine Notiz, die beim Beenden des Assistenten getippt wurde, wurde weggelassen: sie enthielt etwas, das wie ein Anmeldetoken aussieht, und ein Token kommt nie in einen Bericht. Sie ohne das Token neu schreiben
banner-note-unsaved = Notiz nicht gespeichert
banner-note-unsaved-text = Noch kein Bericht enthält Ihre Notiz (kein --report angegeben). x drücken, um den Bericht mit ihr zu schreiben, oder noch einmal q, um ohne sie zu beenden.
banner-note-unsaved-failed-text = Noch enthält kein Bericht Ihre Notiz: x konnte ihn nicht schreiben ({ $why }). Das beheben, dann x drücken; oder erneut q drücken, um ohne die Notiz zu beenden.
banner-task-failed = Die Anfrage brach mit einem internen Fehler ab
banner-task-failed-text = stepwise konnte sie nicht abschließen ({ $why }). r versucht es erneut; passiert es wieder, die Protokolldatei an den Support schicken.
banner-report-not-written = Bericht nicht geschrieben
banner-report-not-written-text = { $path } nicht schreibbar: { $why }. Prüfen, ob der Ordner existiert und beschreibbar ist.
banner-report-in-the-way-text = { $path } nicht schreibbar: unter { $file } steht eine Datei, wo ein Ordner sein muss (der Berichtsordner oder einer darüber). Diese Datei verschieben oder umbenennen, dann erneut x drücken.
banner-guide-opened = Link an den Browser übergeben
banner-no-browser = Browser konnte nicht geöffnet werden
banner-no-graphical-session = Keine grafische Sitzung hier. { $url } auf einem anderen Gerät öffnen, oder g für den QR-Code.
banner-no-graphical-session-local = Keine grafische Sitzung hier, und { $url } liegt nur auf diesem Rechner (Loopback): auch ein anderes Gerät kann es nicht öffnen. --api eine Adresse des Gateways geben, die im Werkstattnetz erreichbar ist, dann g für den QR-Code drücken.
banner-no-graphical-session-demo = Keine grafische Sitzung hier, und { $url } liegt nur auf diesem Rechner (Demo-Backend). Für Telefone: `stepwise serve --addr 0.0.0.0:8080` ausführen und dem Assistenten --api mit der Adresse geben, die serve ausgibt; dann zeigt g den QR-Code.
banner-browser-failed = { $why }. { $url } von Hand öffnen, oder g für den QR-Code.
banner-step-done = { $count ->
   *[other] { $steps } erledigt
}
banner-step-undone = { $count ->
   *[other] Nicht mehr erledigt — { $steps }
}
banner-step-undone-text = Die neueste Liste des Gateways führt es wieder als zu erledigen (ein Zurücksetzen anderswo, ein widerrufener Schlüssel oder ein Gateway, das seinen Stand verloren hat): der Kunde erledigt es erneut; die Liste zeigt, was bleibt.
banner-steps-undone-text = Die neueste Liste des Gateways führt sie wieder als zu erledigen (ein Zurücksetzen anderswo, ein widerrufener Schlüssel oder ein Gateway, das seinen Stand verloren hat): der Kunde erledigt sie erneut; die Liste zeigt, was bleibt.
banner-next-is = als Nächstes folgt { $title }.
banner-all-done-ready = alles erledigt, der Dienst ist bereit.
banner-nothing-shown-left = in der gezeigten Liste ist nichts mehr zu tun.
banner-reset-done = Schritte-Cache zurückgesetzt
banner-reset-done-text = Jeder Schritt wurde neu bewertet; die Liste zeigt den echten Stand.
banner-reset-refused-front = Zurücksetzen abgelehnt
banner-reset-refused-front-text = Etwas vor dem Gateway hat das Zurücksetzen des Schritte-Caches (resetSteps=true) mit HTTP { $status } ohne Fehlertext des Gateways beantwortet, während Listen von dieser Adresse kommen: nur der Aufruf zum Zurücksetzen wird abgelehnt. Der Cache wurde nicht zurückgesetzt, und die Liste auf dem Bildschirm ist unverändert. Den Betreiber des Gateways oder des Netzes fragen, ob der Aufruf zum Zurücksetzen durchgelassen wird.
banner-reset-unanswered = Zurücksetzen gesendet, keine Antwort
banner-reset-unanswered-text = das Gateway hat das Zurücksetzen des Schritte-Caches (resetSteps=true) angenommen, aber nicht binnen { $secs } s geantwortet: der Cache ist vielleicht schon zurückgesetzt, vielleicht nicht. Zuerst r drücken, um die Liste so zu sehen, wie sie jetzt ist; nur erneut zurücksetzen, wenn sie noch Schritte als erledigt zeigt, die der Kunde nicht erledigt hat.
banner-reset-gave-up-text = das Zurücksetzen des Schritte-Caches (resetSteps=true) bekam HTTP { $status } von etwas vor dem Gateway, das das Warten auf es aufgegeben hat: der Cache ist vielleicht schon zurückgesetzt, vielleicht nicht. Zuerst r drücken, um die Liste so zu sehen, wie sie jetzt ist; nur erneut zurücksetzen, wenn sie noch Schritte als erledigt zeigt, die der Kunde nicht erledigt hat.
banner-no-longer-found = Nicht mehr gefunden
banner-no-longer-found-text = diese Adresse hat in dieser Sitzung schon Listen für dieses Fahrzeug geliefert und antwortet jetzt 404 (nicht gefunden): ID und --api waren richtig, also hat sich das Gateway oder ein Router oder Proxy davor geändert (ein Neustart, eine Bereitstellung, eine verlorene Route). In einem Moment r drücken, um erneut zu fragen; bleibt es so, den Betreiber des Gateways mit der Uhrzeit informieren.
banner-steps-id-changing = Das Gateway ändert die stepsID dieses Fahrzeugs immer wieder
banner-steps-id-changing-text = nach der Liste von stepsID { $asked } gefragt, hat es die Liste von stepsID { $answered } geantwortet, binnen einer Minute nach dem Neubeginn per carAssociationID. Das Beobachten wurde gestoppt, statt endlos zu fragen. r drücken, um erneut nach carAssociationID zu fragen; ändert sie sich weiter, den Betreiber des Gateways informieren (oder wer einen Proxy oder Cache dazwischen betreibt).
banner-started-over = Neu begonnen
banner-started-over-text = { $why }; neu gefragt per carAssociationID.
banner-refused-again = Das Gateway lehnt die stepsID ab, die es gerade vergeben hat
banner-refused-again-text = { $why }, erneut, binnen einer Minute nach dem Neubeginn per carAssociationID. Beobachten gestoppt, statt endlos neu zu fragen. Den Betreiber des Gateways informieren; r fragt noch einmal per carAssociationID.
why-other-device = Die stepsID gehörte zu einem anderen Gerät
why-steps-id-unknown = Das Gateway kennt die stepsID nicht mehr
why-steps-id-changed = Das Gateway hat die Liste einer anderen stepsID geantwortet (eine neue für dieses Fahrzeug, oder unterwegs vertauschte Antworten)
banner-gateway-next = Nächster Schritt laut Gateway
banner-gateway-next-text = { $title } ({ $name }).
banner-gateway-next-hidden-text = { $title } ({ $name }), nicht in der gezeigten Liste; f ändert den Filter.
banner-filter-ignored = Hier gefiltert, nicht vom Gateway
banner-list-lost-steps = Liste ohne Schritte
banner-list-lost-steps-text = Die Liste des Gateways zu stepsID { $id } enthält { $steps } nicht mehr, die nicht erledigt waren: eine Liste verliert nie Schritte, die sie hatte (eine gefilterte Liste als ganze ausgegeben?). Sie wird nicht übernommen, und das Fahrzeug nicht als bereit gemeldet: die Liste auf dem Bildschirm ist die letzte ganze. r drücken, um erneut zu fragen; bleibt es so, dem Betreiber des Gateways melden
banner-nothing-left = Nichts mehr zu tun
banner-nothing-left-text = Das Gateway antwortete null: kein Schritt offen, der Dienst ist bereit.
banner-next-list-older = Die Liste auf dem Bildschirm ist älter als diese Antwort: Sie wird neu abgefragt.
banner-next-disagrees = Die zwei Antworten des Gateways widersprechen sich
banner-next-disagrees-text = Sein nächster Schritt ist { $said } (`{ $name }`), aber die eben erneut abgefragte Liste setzt weiterhin { $first } (`{ $first_name }`, Status „{ $status }“) an die erste Stelle, nicht erledigt: die Liste ist nicht veraltet. Den Betreiber des Gateways fragen, welchen der Kunde zuerst ausführt.
banner-answers-disagree = Das Gateway widerspricht sich
banner-answers-disagree-text = Sein Aufruf des nächsten Schritts sagte, nichts sei übrig, aber seine eben neu abgefragte Liste hat noch Schritte zu tun (NEXT markiert den ersten). Der Liste folgen und dem Betreiber des Gateways melden, dass die beiden Aufrufe sich widersprechen.

## The start screen
backend-demo = Demo-Backend
demo-car-987654 = Beispiel aus der Dokumentation: Telefon vertrauenswürdig, Gerät nicht aktiviert
demo-car-moved = Demo-Fahrzeug, jetzt { $done } von { $total } Schritten erledigt (demo --fresh beginnt neu)
demo-car-reset-done = Cache in diesem Lauf zurückgesetzt: die Liste zeigt jetzt den wahren Stand
demo-fresh-done = Demo neu begonnen: jedes Demo-Fahrzeug steht wieder dort, wo seine Beschreibung sagt.
demo-fresh-failed = die Demo kann nicht neu beginnen: ihr Zustand { $path } lässt sich nicht entfernen ({ $error }). Diese Datei von Hand entfernen, dann neu starten
launch-note-title = Hinweis
cli-ids-repeated = Mehrfach angegeben, einmal abgefragt: { $ids }.
cli-ids-one-line = { $path } enthält eine Zeile mit { $values } Werten in Spalten: nur der erste wird als carAssociationID gelesen (die erste Spalte einer Datei). Um jeden abzufragen, eine ID pro Zeile schreiben.
cli-ids-rows-without-id = { $count ->
    [one] { $path }: die Zeile { $lines } hat keine carAssociationID in der ID-Spalte und wird daher übersprungen. Ihre ID eintragen, um dieses Fahrzeug abzufragen.
   *[other] { $path }: die Zeilen { $lines } haben keine carAssociationID in der ID-Spalte und werden daher übersprungen. Ihre IDs eintragen, um diese Fahrzeuge abzufragen.
    }
cli-ids-column-guessed = { $path }: die erste Zeile nennt keine carAssociationID-Spalte, daher wurden die IDs aus Spalte { $column } („{ $name }“) gelesen, der einzigen, deren Werte alle IDs mit einer Ziffer sind. Sind das nicht die IDs der Fahrzeuge, deren Spalte mit carAssociationID überschreiben
demo-car-111111 = Neukunde: noch nichts erledigt
demo-car-222222 = Dienst bereit: alle Schritte erledigt
demo-car-333333 = Veralteter Cache: App zeigt 2312/2317, nur ein Zurücksetzen zeigt den wahren Stand
demo-car-444444 = Nur Fahrzeugstatus: zwei Schritte

start-subtitle = Schritte der Dienstaktivierung
start-intro = carAssociationID des Kunden eingeben (aus dem Abo der vernetzten Dienste) und Enter drücken.
start-replace-hint = Tippen ersetzt diese ID; ⌫ bearbeitet sie
start-refused = Nicht angenommen: { $chars }. Eine ID enthält nur Buchstaben a–z, A–Z, Ziffern, - und _.
start-dropped-confirm = Ausgelassen: { $chars }. Nochmals Enter nimmt { $id } wie es ist (ein anderes Fahrzeug?); sonst korrigieren.
start-too-long = Eine ID hat höchstens { $max } Zeichen; der Rest wurde weggelassen.
start-not-an-id = carAssociationID eingeben: Buchstaben a–z, A–Z, Ziffern, - oder _.
start-excel-number = { $number } ist eine lange Zahl so, wie Excel sie anzeigt (wissenschaftliche Schreibweise), keine ID: Ihre letzten Ziffern sind verloren. In Excel die Spalte als Text formatieren, die ID neu eingeben und von dort kopieren.
start-several-ids = { $count } Zeilen wurden eingefügt (eine Spalte mit IDs?): das Feld nimmt eine ID, also wurde keine übernommen. Eine einfügen oder tippen; für eine Übersicht aller beenden und mit --cars DATEI (eine ID pro Zeile) oder --car ID --car ID starten
board-add-several-ids = { $count } Zeilen wurden eingefügt (eine Spalte mit IDs?): dieses Feld fügt je eine ID hinzu, also wurde keine übernommen. Fügen Sie eine ein oder tippen Sie sie, Enter, dann wieder a für die nächste; die Fahrzeuge der Übersicht bleiben
start-label-left-out = Das Eingefügte begann mit seiner Bezeichnung „{ $label }“, die weggelassen wurde: das Feld enthält die ID danach.
start-note-unsaved = Notiz nicht gespeichert: noch kein Bericht enthält sie (kein --report). Ein Fahrzeug öffnen und dort x drücken, um den Bericht mit ihr zu schreiben, oder noch einmal q drücken, um ohne sie zu beenden.
start-choices = Letzte IDs (↑↓ zum Wählen):
start-choices-demo = Letzte IDs und Demo-Zuordnungen (↑↓ zum Wählen):
start-recent = zuletzt

## A window too small

too-small-title = Fenster zu klein
too-small-text = stepwise braucht { $min_w }×{ $min_h }; dieses hat { $w }×{ $h }.
too-small-hint = Fenster vergrößern (q beendet).
too-small-note-unsaved = Ihre Notiz steht noch in keinem Bericht: Fenster vergrößern und x drücken, um den Bericht mit ihr zu schreiben, oder noch einmal q, um ohne sie zu beenden.

## Overlays

help-title = Hilfe (Esc schließt)
help-title-more = Hilfe (↓ Bild↓ für mehr, Esc schließt)
help-section-start = Startbildschirm
help-section-steps = Schritte-Bildschirm
help-section-message = Die Meldung auf dem Bildschirm, vollständig
help-section-everywhere = Überall
help-section-reset = Zurücksetzen bestätigen
help-section-explain = Fehlercode-Erklärung
help-section-qr = QR-Code
help-section-help = Diese Hilfe
help-section-badges = Markierungen
help-legend-badges = [FERTIG] erledigt (alreadyDone)  [OFFEN] offen (todo)  [????] unbekannter Status
badge-done = FERTIG
badge-todo = OFFEN
badge-unknown = ????
help-legend-next = JETZT markiert den Schritt, der jetzt dran ist; spätere warten darauf.
reset-title = Schritte-Cache zurücksetzen
reset-question = Schritte-Cache von { $car } zurücksetzen?
reset-when = Zu verwenden, wenn die App des Kunden Fehler 2312 oder 2317 zeigt oder ein Schritt als erledigt gilt, es aber nicht ist.
reset-what = Jeder Schritt wird dann neu bewertet; wirklich erledigte bleiben erledigt.
explain-title = App-Fehlercode erklären (Esc schließt)
explain-code = Fehlercode:
explain-prompt = Den Code eingeben, den die App des Kunden zeigt, z. B. 2312 oder NOK:MAXNBTOOLS.
explain-known = Bekannt: { $codes }
explain-meaning = Bedeutung:
explain-remedy = Was hilft:
explain-limits = Grenzen:
explain-reset-cures = ✔ Das Zurücksetzen des Schritte-Caches behebt es: mit Esc schließen, dann zurücksetzen mit{" "}
explain-unknown = { $code } ist diesem Werkzeug nicht bekannt.
explain-unknown-hint = Eingabe prüfen und den Code in der Fehlerliste des Herstellers nachschlagen; nach Esc mit N als Notiz für den Sitzungsbericht festhalten.
qr-title-gateway = Scannen: Seite des Kunden ({ $lang }) (Esc schließt)
qr-title-dealer = Scannen: Hilfeseite des Händlers (Esc schließt)
qr-title-archive = Scannen: Entwicklerdokumentation, archiviert (Esc schließt)
qr-demo-local = Nur dieser Rechner kann die Seite öffnen (Demo-Backend). Für Telefone: `stepwise serve --addr 0.0.0.0:8080` ausführen und dem Assistenten --api mit der Adresse geben, die serve ausgibt.
qr-loopback = Diese Adresse gibt es nur auf diesem Rechner (Loopback): ein Telefon kann sie nicht öffnen. --api die Adresse geben, die das Gateway im Werkstattnetz hat.
qr-too-small = Das Fenster ist zu klein für den QR-Code; bitte vergrößern.

## Keys: a short word for the footer, a line for help
# The names of keys as the keyboards of this language print them.
key-name-esc = Esc
key-name-enter = Enter
key-name-space = Leertaste
key-name-pgdn = Bild↓
key-name-pgup = Bild↑
key-name-ctrl-c = Strg-C
key-name-yes = j

key-short-quit = Ende
key-short-open = öffnen
key-short-pick = wählen
key-short-help = Hilfe
key-short-type = tippen
key-short-erase = löschen
key-short-clear = leeren
key-short-move = wählen
key-short-more = mehr
key-short-refresh = aktualisieren
key-short-watch = beobachten
key-short-act = simulieren
key-short-next = nächster
key-short-filter = Filter
key-short-reset = Reset
key-short-explain = erklären
key-short-open-guide = Anleitung
key-short-qr = QR-Code
key-short-report = Bericht
key-short-back = zurück
key-short-scroll = blättern
key-short-page = Seite
key-short-close = schließen
key-short-reset-now = jetzt zurücksetzen
key-short-cancel = abbrechen
key-short-open-browser = im Browser
key-short-guide-lang = Kundensprache
key-help-quit-now = sofort beenden
key-help-quit = beenden
key-help-quit-empty = beenden (bei leerem Feld)
key-help-open = die Schritte dieser carAssociationID öffnen
key-help-pick = eine letzte oder Demo-ID wählen
key-help-help = Hilfe zu allen Tasten
key-help-type-id = carAssociationID tippen (Buchstaben a–z, A–Z, Ziffern, - und _)
key-help-erase = letztes Zeichen löschen
key-help-clear = Feld leeren
key-help-move = Auswahl bewegen
key-help-guide-down = Anleitung nach unten blättern
key-help-guide-up = Anleitung nach oben blättern
key-help-refresh = Liste per stepsID aktualisieren
key-help-watch = beobachten: jede Änderung verfolgen, bis alles erledigt ist
key-help-act = simulierter Kunde erledigt den nächsten Schritt (Demo)
key-help-next = das Gateway nach dem nächsten Schritt fragen
key-help-filter = nach Status filtern: alle, todo, alreadyDone
key-help-reset = Schritte-Cache zurücksetzen (App-Fehler 2312/2317)
key-help-explain = einen App-Fehlercode erklären
key-help-open-guide = Anleitung des Schritts im Browser öffnen
key-help-qr = Link der Anleitung als QR-Code zeigen
key-help-report = Sitzungsbericht schreiben (Markdown)
key-help-back = zurück zum Startbildschirm
key-help-back-board = zurück zur Übersicht
key-short-note = Notiz
key-help-note = eine Notiz für den Sitzungsbericht schreiben
key-help-save-note = die Notiz in den Bericht übernehmen
key-help-type-note = die Notiz tippen
help-section-note = Die Notiz für den Bericht
key-help-scroll = Hilfe blättern
key-help-page-down = eine Seite nach unten
key-help-page-up = eine Seite nach oben
key-help-close-help = Hilfe schließen
key-help-reset-now = Schritte-Cache jetzt zurücksetzen
key-help-cancel = abbrechen
key-help-close-explain = Erklärung schließen
key-help-type-code = Code tippen: Ziffern, Buchstaben, : _ .
key-help-close-qr = QR-Code schließen
key-help-open-browser = Link im Browser öffnen
key-help-guide-lang = Anleitung für den Kunden in die nächste Sprache schalten

## The session report (Markdown)

report-title = stepwise-Sitzungsbericht
report-none = (keine)
report-backend = Gateway
report-end = Stand am Ende: { $done } von { $total } erledigt
report-end-ready = Stand am Ende: { $done } von { $total } erledigt, Dienst bereit
report-end-next = Stand am Ende: { $done } von { $total } erledigt, als Nächstes: { $title } (`{ $name }`)
report-col-order = Reihenfolge
report-col-step = Schritt
report-col-name = Name
report-col-status = Status
report-events = Ereignisse
report-event-opened = carAssociationID { $car } geöffnet
report-event-removed = vom Techniker von der Übersicht entfernt
report-event-steps-id-changed = das Gateway hat die Liste einer anderen stepsID geantwortet ({ $answered }); erneut nach carAssociationID gefragt
report-event-list-next = Liste (stepsID { $id }): { $done } von { $total } erledigt, als Nächstes `{ $next }`
report-event-list-clear = Liste (stepsID { $id }): { $done } von { $total } erledigt, nichts mehr offen
report-event-list-empty = Liste (stepsID { $id }): keine Schritte erhalten, der Dienst ist also nicht als bereit bekannt
report-event-filtered = Liste gefiltert auf { $status }: { $shown ->
    [one] { $shown } Schritt gezeigt
   *[other] { $shown } Schritte gezeigt
}
report-event-reset = Zurücksetzen des Schritte-Caches angefragt (resetSteps=true); die Antwort des Gateways folgt
report-event-next = nächster Schritt laut Gateway: `{ $step }`
report-event-next-none = nächster Schritt laut Gateway: keiner (null)
report-event-simulated = simulierter Kunde erledigte `{ $step }`
report-event-error = Fehler: { $what }: { $detail }
report-event-started-over = { $status ->
    [404] das Gateway kannte die stepsID nicht mehr (HTTP { $status }); neu begonnen mit der carAssociationID
   *[other] das Gateway lehnte die stepsID ab (HTTP { $status }); neu begonnen mit der carAssociationID
}
report-event-started-over-live = der Live-Stream des Gateways lehnte die stepsID ab; neu begonnen mit der carAssociationID
report-events-left-out = { $n ->
    [one] { $n } Ereignis ausgelassen
   *[other] { $n } Ereignisse ausgelassen
} (die ersten { $first } und die letzten { $last } sind erhalten)
report-vehicle-count = { $count ->
    [one] { $count } Fahrzeug
   *[other] { $count } Fahrzeuge
}
report-empty = In dieser Sitzung ist nichts geschehen: kein Fahrzeug wurde geöffnet, keine Notiz geschrieben.
report-ended-quit = Lauf beendet um { $at }: der Techniker hat beendet.
report-ended-hangup = Lauf beendet um { $at }: das Terminal wurde geschlossen (SIGHUP), nicht vom Techniker beendet.
report-ended-signal = Lauf beendet um { $at }: durch { $signal } gestoppt, nicht vom Techniker beendet.
report-ended-terminal = Lauf beendet um { $at }: das Terminal ist währenddessen weggefallen, nicht vom Techniker beendet.
report-notes = Notizen und Ereignisse der Sitzung
report-event-note = Notiz: { $text }
report-event-signed-in = im Assistenten angemeldet (i); die mangels Token abgewiesenen Fahrzeuge fragen erneut
report-event-sign-in-failed = Anmeldung im Assistenten (i) fehlgeschlagen: { $detail }
report-event-note-unfinished = Notiz (unvollständig: wurde noch getippt, als der Assistent endete): { $text }
report-event-explained = Code { $code } erklärt: { $meaning }
report-event-filter-chosen = Statusfilter gewählt: { $status }
report-event-watch-on = Beobachten eingeschaltet
report-event-watch-off = Beobachten ausgeschaltet
report-event-watch-stopped = Beobachten hat von selbst aufgehört: { $what } (erneutes Fragen würde die Antwort nicht ändern)
report-event-guide-lang = Anleitung für den Kunden auf { $lang } umgestellt
report-event-held = das HTTP 429 des Gateways hielt jede Anfrage an es { $secs } s lang zurück (sein Retry-After): inzwischen wurde keine Liste abgefragt, und die angezeigten alterten

## The plain output of steps and next

cli-none = keine
cli-list-head-car = carAssociationID { $car }, stepsID { $id } ({ $backend })
cli-list-head = stepsID { $id } ({ $backend })
cli-no-steps = Keine Schritte erhalten.
cli-no-steps-unknown = Keine Schritte erhalten: der Dienst ist nicht als bereit bekannt. Lehnt die App des Kunden ihn weiter ab, die carAssociationID prüfen oder den Schritte-Cache zurücksetzen (erneut mit --reset ausführen)
cli-summary-next = { $done } von { $total } erledigt; als Nächstes: { $title }
cli-summary-clear = { $done } von { $total } erledigt; nichts mehr zu tun
cli-interrupted-many = unterbrochen: die Listen der { $count } Fahrzeuge werden zusammen in der Reihenfolge der Datei ausgegeben, sobald jedes beantwortet oder die --deadline von { $secs } s erreicht ist, daher wurde keine ausgegeben. Erneut ausführen; eine kürzere --deadline begrenzt das Warten
cli-filtered = gefiltert: { $shown } { $filter } gezeigt; ohne --status für die ganze Liste
cli-filter-ignored = das Gateway hat den Filter nicht angewandt: { $other } der { $total } Schritte oben { $other ->
        [one] hat
       *[other] haben
    } den Status { $status }. Dem Betreiber des Gateways melden: stepsStatus wird nicht angewandt
cli-filter-ignored-json = das Gateway hat den Filter nicht angewandt: { $other } der { $total } Schritte seiner Antwort { $other ->
        [one] hat
       *[other] haben
    } den Status { $status }. Dem Betreiber des Gateways melden: stepsStatus wird nicht angewandt
cli-no-steps-id = die Liste des Gateways trägt keine stepsID: `stepwise next` und Live-Ereignisse können nicht danach fragen, und die Liste lässt sich nur per carAssociationID erneut abfragen. Dem Betreiber des Gateways melden: eine Liste trägt ihre stepsID
cli-next-none = Nichts mehr zu tun: der Dienst ist bereit.

## A failed gateway call: what happened, why, what to do

gw-unreachable = das Gateway unter { $base } ist nicht erreichbar: { $detail }. Prüfen, ob es läuft und --api stimmt
gw-unresolved = das Gateway unter { $base } ist nicht erreichbar: Der Name { $host } ist dem DNS dieses Rechners unbekannt. Den Hostnamen in --api und die DNS-Einstellungen dieses Rechners prüfen (braucht das Gateway ein VPN?)
gw-timed-out = das Gateway unter { $base } hat die Verbindung angenommen, aber nicht binnen { $secs } s geantwortet: es ist ausgelastet oder hängt. Erneut versuchen; bleibt es so, den Betreiber des Gateways informieren
gw-timed-out-proxy = keine Antwort innerhalb von { $secs } s vom Gateway unter { $base } über den Proxy { $proxy }: Der Proxy oder das Gateway dahinter schweigt. Beim Betreiber des Proxys nachfragen, ob er Anfragen an { $host } durchlässt, oder NO_PROXY={ $host } setzen, wenn das Gateway ohne den Proxy erreichbar ist; dann erneut versuchen
gw-too-large = die Antwort des Gateways ist größer als { $kib } KiB und wurde nicht weiter gelesen: keine Schrittliste ist so groß, und erneutes Fragen bringt dasselbe. Zeigt --api auf ein Schritte-Gateway (von dort kamen schon Listen), sendet es viel zu viel: dem Betreiber des Gateways melden; sonst prüfen, ob --api auf ein Schritte-Gateway zeigt
gw-compressed = die Antwort des Gateways{ $via } kam komprimiert ({ $encoding }), obwohl stepwise Antworten unverändert anfordert (Accept-Encoding: identity), und stepwise liest sie nicht. Das Gateway oder ein Proxy auf dem Weg komprimiert ungefragt: den Betreiber des Gateways (oder des Proxys) informieren
gw-captive-portal = HTTP 511{ $via }: das Netzwerk dieses Computers verlangt zuerst eine Anmeldung (ein Captive Portal, wie im Gäste-WLAN), die Anfrage hat das Gateway also nie erreicht. Auf diesem Computer einen Webbrowser öffnen, die Anmeldeseite des Netzwerks bestätigen, dann erneut versuchen; oder ein anderes Netzwerk nutzen
gw-scope-wanted = HTTP { $status }: das Gateway hat das Token angenommen, sagt aber, ihm fehle der Scope { $scope } (sein WWW-Authenticate: insufficient_scope). Erneut anmelden und ihn anfordern (`stepwise login --scope "{ $ask }"` oder `scopes` in der Konfigurationsdatei) oder bei dem, der die Tokens ausgibt, eines mit diesem Scope erbitten
gw-scope-wanted-asked = HTTP { $status }: das Gateway hat das Token der gespeicherten Anmeldung angenommen, sagt aber, ihm fehle der Scope { $scope } (sein WWW-Authenticate: insufficient_scope), obwohl diese Anmeldung { $scope } angefordert hat: eine neue Anmeldung fordert dasselbe an. Entweder gewährt der Identitätsanbieter stepwise { $scope } nicht (seinen Administrator fragen), oder das Gateway will einen anderen Scope oder eine andere Audience (den Betreiber des Gateways fragen)
gw-scope-wanted-dropped = HTTP { $status }: das Gateway hat das Token der gespeicherten Anmeldung angenommen, sagt aber, ihm fehle der Scope { $scope } (sein WWW-Authenticate: insufficient_scope): die Anmeldung hat ihn angefordert, und die Gewährung des letzten Tokens ließ ihn weg (gewährt: { $granted }), wie es eine Erneuerung tun kann. Erneut anmelden (`stepwise login`; im Assistenten i); lassen Erneuerungen ihn weiter weg, dem Administrator des Identitätsanbieters melden
gw-scope-wanted-unnamed = HTTP { $status }: das Gateway hat das Token angenommen, sagt aber, ihm fehle ein Scope (sein WWW-Authenticate: insufficient_scope, ohne ihn zu nennen). Den Betreiber des Gateways fragen, welchen, dann damit neu anmelden (`stepwise login --scope …`)
gw-scope-wanted-given = HTTP { $status }: das Gateway hat das Token aus { $from } angenommen, sagt aber, ihm fehle der Scope { $scope } (sein WWW-Authenticate: insufficient_scope). Ein dort angegebenes Token hat Vorrang vor jeder Anmeldung: dort eines mit diesem Scope angeben, oder es entfernen und sich mit `stepwise login --scope "{ $ask }"` anmelden
gw-scope-wanted-given-unnamed = HTTP { $status }: das Gateway hat das Token aus { $from } angenommen, sagt aber, ihm fehle ein Scope (sein WWW-Authenticate: insufficient_scope, ohne ihn zu nennen). Den Betreiber des Gateways fragen, welchen, dann dort ein Token mit ihm angeben, oder es entfernen und sich mit `stepwise login --scope …` anmelden
gw-scope-wanted-none = HTTP { $status }: das Gateway will ein Token mit dem Scope { $scope }, und keines wurde gesendet. Mit diesem Scope anmelden (`stepwise login --scope "openid offline_access { $scope }"` oder `scopes` in der Konfigurationsdatei) oder ein Token mit ihm über --token-file PFAD, STEPWISE_TOKEN oder `token` in der Konfigurationsdatei angeben
gw-scope-wanted-none-unnamed = HTTP { $status }: das Gateway will ein Token mit einem Scope, den es nicht nennt, und keines wurde gesendet. Den Betreiber des Gateways fragen, welchen Scope es will, dann damit anmelden (`stepwise login --scope …`) oder ein Token mit ihm über --token-file PFAD, STEPWISE_TOKEN oder `token` in der Konfigurationsdatei angeben
gw-scope-wanted-none-no-signin = HTTP { $status }: das Gateway will ein Token mit dem Scope { $scope }, und keines wurde gesendet. Es bietet keine Anmeldung: sein Token kommt von dem, der es betreibt. Dort ein Token mit diesem Scope erfragen und mit `stepwise login --with-token` hinterlegen oder mit --token-file PFAD, STEPWISE_TOKEN oder `token` in der Konfigurationsdatei angeben
gw-scope-wanted-none-no-signin-unnamed = HTTP { $status }: das Gateway will ein Token mit einem Scope, den es nicht nennt, und keines wurde gesendet. Es bietet keine Anmeldung: sein Token kommt von dem, der es betreibt. Dort ein Token mit dem gewollten Scope erfragen und mit `stepwise login --with-token` hinterlegen oder mit --token-file PFAD, STEPWISE_TOKEN oder `token` in der Konfigurationsdatei angeben
gw-scope-wanted-taken-no-signin = HTTP { $status }: das Gateway hat das Token aus { $from } angenommen, sagt aber, ihm fehle der Scope { $scope } (sein WWW-Authenticate: insufficient_scope). Es bietet keine Anmeldung: sein Token kommt von dem, der es betreibt. Dort eines mit diesem Scope erfragen und auf demselben Weg angeben (ein hinterlegtes mit `stepwise login --with-token`)
gw-scope-wanted-taken-no-signin-unnamed = HTTP { $status }: das Gateway hat das Token aus { $from } angenommen, sagt aber, ihm fehle ein Scope, den es nicht nennt (sein WWW-Authenticate: insufficient_scope). Es bietet keine Anmeldung: sein Token kommt von dem, der es betreibt. Dort eines mit dem gewollten Scope erfragen und auf demselben Weg angeben (ein hinterlegtes mit `stepwise login --with-token`)
gw-bad-answer = die Antwort des Gateways ist unbrauchbar: { $why }. Kamen von diesem --api schon Listen (dieses oder eines anderen Fahrzeugs), hat das Gateway oder etwas davor diesen Aufruf mit etwas anderem beantwortet: dem Betreiber des Gateways melden; wenn nicht, prüfen, ob --api auf ein Schritte-Gateway zeigt
gw-bad-answer-page = die Antwort ist eine Webseite (HTML), wo das JSON des Gateways hingehört: etwas vor dem Gateway (eine Firewall, ein Portal oder ein Reverse-Proxy) hat geantwortet, oder --api zeigt auf einen Webserver. Kamen von diesem --api schon Listen, den Betreiber des Netzes fragen, was die Seite ist; wenn nicht, prüfen, ob --api auf ein Schritte-Gateway zeigt
gw-bad-answer-gateway = die Antwort des Gateways ist unbrauchbar: { $why }
gw-answer-cut = die Antwort des Gateways wurde abgeschnitten ({ $why }). Erneut versuchen; bleibt sie abgeschnitten, kürzt das Gateway oder etwas auf dem Weg (ein Proxy) seine Antworten: den Betreiber des Gateways informieren
answer-not-json = die Antwort ist kein JSON ({ $detail })
answer-html = die Antwort ist eine HTML-Seite (eines Webservers, eines Portals oder eines Proxys), kein JSON
answer-empty = die Antwort ist leer, erwartet war JSON des Gateways (eine Schrittliste, ein Schritt oder null)
answer-not-utf8 = die Antwort ist kein UTF-8-Text (ein anderer Zeichensatz, etwa Latin-1), was JSON sein muss
answer-gzip = die Antwort sind gzip-komprimierte Daten, die das nicht angeben (kein Content-Encoding): das Gateway oder ein Proxy auf dem Weg komprimiert ungefragt; den Betreiber des Gateways informieren
answer-wrong-shape = die Antwort ist JSON in einer anderen Form als eine Schrittliste ({ $detail })
answer-wrong-shape-step = die Antwort ist JSON in einer anderen Form als ein Schritt ({ $detail })
answer-next-done = die Antwort des nächsten Schritts nennt { $step }, markiert ihn aber als erledigt: sie widerspricht sich und sagt weder, dass nichts übrig ist, noch welcher Schritt folgt. Die Liste dieser stepsID sagt, welche Schritte übrig sind; dem Betreiber des Gateways melden
answer-bad-steps-id = die Liste des Gateways nennt eine stepsID ({ $id }), die die ID-Regel des Vertrags verletzt (1 bis 64 Buchstaben a–z, A–Z, Ziffern, - oder _), daher kann sie für spätere Listen und den nächsten Schritt nicht zurückgesendet werden. Dem Betreiber des Gateways Bescheid geben; die eingegebene ID ist nicht schuld
answer-error-body = das Gateway hat seinen Fehlerinhalt ({ $said }) mit einem Erfolgsstatus (HTTP 2xx) gesendet: es hat die Anfrage abgelehnt, obwohl sein Status anderes sagt. Dem Betreiber des Gateways melden
json-at = sie hört in Zeile { $line }, Spalte { $column } auf, JSON zu sein
json-cut-at = sie endet vorzeitig in Zeile { $line }, Spalte { $column }: die Antwort wurde abgeschnitten
json-stops-at = sie endet in Zeile { $line }, Spalte { $column }
json-kind-null = null
json-kind-boolean = ein Wahrheitswert
json-kind-number = eine Zahl
json-kind-string = eine Zeichenkette
json-kind-array = ein Array
shape-not-a-list = erwartet war ein Objekt mit Schritten, es ist { $kind }
shape-not-a-step = erwartet war ein Schritt-Objekt oder null, es ist { $kind }
shape-no-steps = ein Objekt ohne stepsID und ohne Schritt; seine Felder sind { $members }
shape-no-step = ein Schrittobjekt oder null wurde erwartet; es ist ein Objekt ohne Schritt, seine Felder sind { $members }
shape-live-without-id = die Liste eines Live-Ereignisses hat keine stepsID, auf einem Strom, der mehrere verfolgt
os-refused = die Verbindung wurde abgelehnt: unter dieser Adresse und diesem Port hört nichts zu
os-reset = die Gegenseite hat die Verbindung getrennt
os-network-unreachable = dieser Rechner hat keine Route zu diesem Netz
os-host-unreachable = dieser Rechner hat keine Route zu diesem Host
os-network-down = das Netz dieses Rechners ist nicht verbunden
os-timed-out = die Verbindung hat das Zeitlimit überschritten
os-denied = dieser Rechner hat die Verbindung nicht geöffnet (eine Firewall oder Sicherheitseinstellung)
os-not-a-folder = eine Datei steht dort, wo ein Ordner sein muss
os-read-only = das Dateisystem ist schreibgeschützt
os-file-denied = Zugriff verweigert (dieser Benutzer darf sie nicht schreiben, oder sie ist gesperrt)
os-no-file-here = in diesem Ordner kann keine Datei angelegt werden (ein Systemordner wie /proc oder /sys)
os-folder-gone = sein Ordner { $folder } ist nicht mehr da: er wurde entfernt, während der Assistent lief, und wird nicht neu angelegt
os-folder-in-the-way = ein Ordner steht dort, wo eine Datei sein muss
os-disk-full = die Platte ist voll
os-addr-in-use = dieser Port ist schon belegt (von einem Programm, das dort lauscht, oder einer gerade geschlossenen Verbindung, die ihn eine Minute hält)
os-addr-not-available = dieser Rechner hat diese Adresse nicht
net-closed-no-answer = der Server hat die Verbindung ohne Antwort geschlossen
net-bad-header = die Header der Antwort sind kein gültiges HTTP (ein defekter Server oder etwas auf dem Weg, das Antworten verändert)
net-bad-chunks = seine Blöcke (Transfer-Encoding: chunked) sind kaputt
net-head-broken = seine Kopfzeilen sind kaputt
net-tls-eof = die Verbindung wurde während des TLS-Handshakes geschlossen
net-not-http = was geantwortet hat, ist kein HTTP (ein anderer Dienst auf diesem Port, oder ein TLS-Server, wo die Adresse http:// sagt)
net-cut-short = sie endete vor der angekündigten Länge
net-stalled = sie begann, hielt dann mittendrin an, und in der erlaubten Zeit kam nichts mehr
net-dns-unknown = der Name ist dem DNS dieses Rechners unbekannt
gw-transport = die Anfrage an das Gateway schlug fehl: { $detail }. Erneut versuchen; bleibt es dabei, das Netzwerk prüfen
gw-answer-malformed = die Antwort des Gateways kam an, ist aber kein gültiges HTTP: { $why }. Erneut versuchen; bleibt es dabei, beschädigt das Gateway oder etwas auf dem Weg (ein Proxy) seine Antworten: den Betreiber des Gateways informieren
gw-redirect-refused = das Gateway leitete { $from } nach { $to } um, zu einem anderen Server oder auf eine ungesicherte Verbindung; stepwise folgt dem nicht. Bei --api die eigene Adresse des Gateways angeben
gw-redirect-same-server = die Adresse des Gateways leitete { $from } nach { $to } um, eine Seite desselben Servers, die kein Steps-Aufruf ist (höchstwahrscheinlich eine Anmelde- oder Portalseite); stepwise folgt dem nicht und sendet das Token nicht dorthin. Ein Steps-Gateway beantwortet seine Aufrufe mit JSON, nicht mit einer Umleitung: Bitten Sie die Betreiber dieses Servers, die Aufrufe des Gateways durchzulassen, oder geben Sie --api die eigene Adresse des Gateways
gw-redirect-to-https = das Gateway unter { $from } ist nach { $to } umgezogen (https://); stepwise folgt keiner Umleitung. Die https://-Adresse in --api angeben
gw-moved-away = das Gateway hat { $from } nach { $to } umgeleitet, das mit HTTP { $status } ohne Fehlerkörper eines Gateways antwortete: --api hat das Gateway erreicht, und seine Umleitung führt dorthin, wo kein Schritte-Gateway antwortet. Den Betreiber des Gateways informieren; sind die Schritte dauerhaft dorthin umgezogen, --api mit diesem Pfad versuchen
gw-foreign-list = nach der Liste von stepsID { $asked } gefragt, hat das Gateway die Liste von stepsID { $answered } geantwortet; sie wird nicht als die dieses Fahrzeugs gezeigt. Das Gateway hat das Fahrzeug vielleicht mit einer neuen stepsID neu begonnen: nach carAssociationID fragen (`stepwise steps --car ID`); bleibt es so, vertauscht ein Proxy oder Cache zwischen hier und dem Gateway Antworten
gw-foreign-next = nach dem nächsten Schritt von stepsID { $asked } gefragt, hat das Gateway einen von stepsID { $answered } geantwortet; er wird nicht als der dieses Fahrzeugs gezeigt. Das Gateway hat das Fahrzeug vielleicht mit einer neuen stepsID neu begonnen: nach carAssociationID fragen (`stepwise steps --car ID`); bleibt es so, vertauscht ein Proxy oder Cache zwischen hier und dem Gateway Antworten
gw-title-redirect = Umleitung nicht gefolgt
gw-title-moved-away = Ins Leere umgeleitet
gw-live-cut = der Live-Stream des Gateways brach mitten in einem Ereignis ab. Er verbindet sich selbst neu; wiederholt es sich, die Proxys zwischen hier und dem Gateway prüfen
gw-live-not-offered = das Gateway beantwortet den Ereignisaufruf jetzt wie eines ohne Live-Ereignisse (HTTP 404 oder 405, ohne Code 2346), obwohl es die Listen beantwortet: es kam vielleicht nach einem Neustart ohne sie zurück. Dem Betreiber des Gateways melden, wenn Live-Verfolgung erwartet wird
gw-live-cut-direct = das Gateway brach seinen Live-Stream mitten in einem Ereignis ab (hier ist kein Proxy im Einsatz). Er verbindet sich selbst neu; wiederholt es sich, dem Betreiber des Gateways melden (oder dem eines Reverse-Proxys davor)
gw-live-silent = der Live-Stream des Gateways sendete { $secs } s lang nichts, nicht einmal ein Lebenszeichen. Er verbindet sich selbst neu; wiederholt es sich, das Netzwerk prüfen
gw-live-silent-no-keepalive = der Live-Stream des Gateways sendete seine ersten Ereignisse, dann { $secs } s lang nichts, nicht einmal das Lebenszeichen, das der Vertrag mindestens alle 15 s verlangt: das Gateway sendet keine Lebenszeichen, oder ein Proxy unterwegs hält sie zurück. Er verbindet sich selbst neu, und eine Änderung kann bis zu { $secs } s zu spät erscheinen; dem Betreiber des Gateways melden
gw-live-no-first-event = der Live-Stream des Gateways öffnete sich, sendete aber { $secs } s lang keine Liste (höchstens Lebenszeichen), obwohl die aktuellen Listen sofort kommen: vielleicht hält ein Proxy ihn zurück. Er verbindet sich selbst neu und fragt die Listen dann stattdessen ab
gw-live-no-first-event-direct = der Live-Stream des Gateways öffnete sich, sendete aber { $secs } s lang keine Liste (höchstens Lebenszeichen), obwohl die aktuellen Listen sofort kommen; hier ist kein Proxy im Einsatz, also hält das Gateway oder ein Reverse-Proxy davor sie zurück. Er verbindet sich selbst neu und fragt die Listen dann stattdessen ab; dem Betreiber des Gateways melden
gw-live-other-events = der Live-Stream des Gateways sendete Ereignisse vom Typ „{ $kind }“ und { $secs } s lang keines vom Typ steps: Seine Listen kommen unter einem anderen Ereignistyp als dem des Vertrags, daher wird keine gelesen. Er verbindet sich selbst neu und fragt die Listen dann stattdessen ab; dem Betreiber des Gateways melden, dass jede Liste als `event: steps` (oder ohne event-Zeile) kommen muss
gw-live-no-list-events = der Live-Stream des Gateways sendete nur Ereignisse vom Typ „{ $kind }“, ohne Liste darin, und { $secs } s lang keine Liste, obwohl die aktuellen Listen sofort kommen. Er verbindet sich selbst neu und fragt die Listen dann stattdessen ab; hält das an, dem Betreiber des Gateways melden, dass der Stream jede Liste sofort als `event: steps` senden muss
gw-live-not-text = der Live-Stream des Gateways ist kein UTF-8-Text. Prüfen, ob --api auf ein Schritte-Gateway zeigt
gw-live-bad-line = der Live-Stream des Gateways enthält eine Zeile, die kein Ereignisfeld ist. Prüfen, ob --api auf ein Schritte-Gateway zeigt
gw-live-lists = der Live-Status verfolgt 1 bis 200 Listen gleichzeitig, nicht { $count }
gw-live-said = der Live-Stream des Gateways sandte einen Fehler: { $said }. Er verbindet sich selbst neu; wiederholt es sich, dem Betreiber des Gateways melden
gw-live-said-cause = der Live-Stream des Gateways sandte einen Fehler: { $said }
gw-live-said-no-step = der Live-Stream des Gateways meldet, dass diese stepsID keinen Schritt mehr hat: { $said }. Mit der carAssociationID neu beginnen (der Assistent tut das selbst)
gw-live-contradicted = der Live-Stream des Gateways für { $count } Listen meldete, eine stepsID habe keinen Schritt mehr ({ $said }), doch jede dieser Listen antwortet, wenn sie mit ihrer stepsID abgefragt wird: das Gateway widerspricht sich, und welches Fahrzeug gemeint war, ist unbekannt. stepwise fragt sie von nun an regelmäßig ab; dem Betreiber des Gateways melden
gw-live-contradicted-one = der Live-Stream des Gateways meldete, diese stepsID habe keinen Schritt mehr ({ $said }), doch ihre Liste antwortet, wenn sie mit dieser stepsID abgefragt wird: das Gateway widerspricht sich. stepwise fragt die Liste von nun an regelmäßig ab; dem Betreiber des Gateways melden
gw-live-contradicted-unsent = { $count ->
    [one] Der Stream hatte für die stepsID { $ids } keine Liste gesendet: vielleicht die gemeinte
   *[other] Der Stream hatte für die stepsIDs { $ids } keine Liste gesendet: vielleicht ist eine davon gemeint
}
gw-live-left-out = der Live-Stream des Gateways sandte die aktuellen Listen von { $sent } seiner { $lists } stepsIDs sofort, aber nicht { $count ->
        [one] die von stepsID { $ids }, die er ebenso schuldet
       *[other] die der stepsIDs { $ids }, die er ebenso schuldet
    }: ein ausgelassenes Fahrzeug würde nie verfolgt. Stattdessen werden die Listen abgefragt; dem Betreiber des Gateways melden
gw-live-refused = das Gateway lehnt seinen Live-Stream ab, beantwortet aber die Listen ({ $why }). Stattdessen werden die Listen abgefragt
gw-live-refused-401-none = das Gateway lehnt seinen Live-Stream ohne Token ab (HTTP 401), beantwortet die Listen aber ohne eines: `stepwise login` findet keines nötig, also ändert keine Anmeldung etwas. Stattdessen werden die Listen abgefragt; dem Betreiber des Gateways Bescheid geben, wenn Live-Verfolgung erwartet wird
gw-live-refused-401-sent = das Gateway lehnt für seinen Live-Stream das Token ab, das seine Listen annehmen (HTTP 401): eine neue Anmeldung gibt ein gleichartiges, ändert also nichts. Stattdessen werden die Listen abgefragt; dem Betreiber des Gateways Bescheid geben, wenn Live-Verfolgung erwartet wird
gw-live-closed-soon = der Live-Stream des Gateways schloss kurz nach dem Senden seiner Listen, { $times } Mal in Folge (jedes Mal binnen einer Minute): er hält keinen Stream offen, eine Änderung käme also spät. Stattdessen werden die Listen abgefragt; dem Betreiber des Gateways melden
gw-live-page = der Ereignis-Aufruf des Gateways antwortete mit einer Webseite (HTML), wo sein Ereignisstrom hingehört: etwas vor dem Gateway (ein Proxy, eine Firewall) hält Ströme womöglich fern. Stattdessen werden die Listen abgefragt; fragen Sie die Betreiber des Netzes vor dem Gateway, text/event-stream durchzulassen, und ist nichts davor, melden Sie es dem Betreiber des Gateways
gw-live-page-titled = der Ereignis-Aufruf des Gateways antwortete mit einer Webseite (HTML, „{ $said }“), wo sein Ereignisstrom hingehört: etwas vor dem Gateway (ein Proxy, eine Firewall) hält Ströme womöglich fern. Stattdessen werden die Listen abgefragt; fragen Sie die Betreiber des Netzes vor dem Gateway, text/event-stream durchzulassen, und ist nichts davor, melden Sie es dem Betreiber des Gateways
gw-live-compressed = der Live-Stream des Gateways kam komprimiert ({ $encoding }), obwohl stepwise keine Kompression anfordert, also sind seine Bytes keine Ereignisse: das Gateway oder ein Proxy unterwegs komprimiert ihn. Stattdessen werden die Listen abgefragt; bitten Sie den Betreiber des Gateways (oder des Proxys), text/event-stream unkomprimiert zu senden
gw-live-foreign = der Live-Stream des Gateways sandte eine Liste der stepsID { $answered }, nach der er nicht gefragt wurde, während { $count ->
    [one] die erfragte Liste antwortet
   *[other] die { $count } erfragten Listen antworten
}, wenn mit der stepsID gefragt, die Liste auf dem Bildschirm blieb also, wie sie ist: melden Sie es dem Betreiber des Gateways (oder dem eines Proxys oder Caches dazwischen)
gw-user-info = die Gateway-URL enthält Benutzername oder Passwort (user:password@host), die stepwise weder zeigt noch sendet. Aus der URL entfernen; das Token des Gateways gehört in --token-file, STEPWISE_TOKEN oder die Konfigurationsdatei
gw-bad-url = die Gateway-URL { $url } ist unbrauchbar: { $reason }. Eine wie http://127.0.0.1:8080 angeben
url-no-host = sie hat keinen Host
url-bad-port = ihr Port ist keine Zahl von 1 bis 65535
url-bad-ip = ihre IP-Adresse ist ungültig (eine IPv6-Adresse steht in Klammern, z. B. http://[::1]:8080)
url-ipv6-brackets = ihre IPv6-Adresse steht nicht in eckigen Klammern, daher ist der Port nicht von ihr zu trennen: als http://[::1]:8080 schreiben
url-port-twice = ihr Port steht mehr als einmal da (eine zweite :Zahl nach dem Host): ihn einmal angeben
url-query = sie enthält eine Abfrage (?…), die stepwise nie sendet: die Basis-URL des Gateways ohne sie angeben (ein Token gehört in --token-file, STEPWISE_TOKEN oder `stepwise login`)
url-ipv6-zone = ihre IPv6-Adresse trägt eine Zone (%eth0), die der Host einer URL hier nicht tragen kann: die globale Adresse des Gateways oder einen Hostnamen angeben
url-ipv6-unclosed = ihre IPv6-Adresse öffnet eine Klammer [, die kein ] schließt: als http://[::1]:8080 schreiben
url-bad-host = ihr Hostname enthält ein Zeichen, das kein Hostname enthalten kann (ein Leerzeichen?)
url-not-absolute = sie ist keine vollständige URL
url-not-http = nur http:// und https:// werden angenommen
gw-bad-path = die URL von { $path } lässt sich nicht bilden: { $detail }
gw-bad-token = das Token enthält Zeichen, die ein Header nicht tragen kann; die Token-Datei prüfen
gw-http-setup = der HTTP-Client lässt sich nicht einrichten: { $detail }
gw-demo-unavailable = der eingebaute Simulator startet auf keinem lokalen Port: { $detail }
gw-demo-state = der eingebaute Simulator kann seinen Zustand nicht in { $folder } halten: { $detail }. Das muss ein Ordner sein, in den dieser Benutzer schreiben kann: das Hindernis beheben oder entfernen, oder mit --api ein Gateway angeben
gw-demo-state-file = der eingebaute Simulator kann seinen Zustand nicht in { $file } speichern: { $detail }. Diese Datei und ihr Ordner müssen für diesen Benutzer schreibbar sein (keine volle Platte, keine schreibgeschützte oder gesperrte Datei): das beheben oder --api ein Gateway geben. Kein Gateway ist schuld: es gibt keines
gw-400 = das Gateway lehnte die Anfrage als fehlerhaft ab
gw-400-todo = Die eingegebene ID prüfen; stimmt sie, einen Fehler melden
gw-400-said-todo = Seine Worte sagen, was es abgelehnt hat (die ID wurde vor dem Senden geprüft). Nennen sie einen Header oder Parameter, kann etwas auf dem Weg (ein Proxy) Anfragen verändern: den Betreiber des Netzes informieren; sonst einen Fehler melden
gw-400-filter-todo = Seine Worte nennen den Statusfilter (stepsStatus): dieses Gateway nimmt ihn nicht. Ohne ihn auflisten (kein --status; im Assistenten f, bis der Filter auf alle steht), und dem Betreiber des Gateways Bescheid geben, wenn er gebraucht wird
gw-400-filter-unchosen-todo = Seine Worte nennen den Statusfilter (stepsStatus), obwohl keiner gewählt wurde: stepwise fragt nach allen Schritten (stepsStatus=all, die Vorgabe des Vertrags, dann ganz ohne stepsStatus), und keine Wahl hier ändert das. Dem Betreiber des Gateways melden, dass dieser Aufruf abgelehnt wird
gw-400-id-todo = Seine Worte nennen die ID: das Gateway nimmt die angegebene nicht an (seine Regel für IDs kann strenger sein als Buchstaben a–z, A–Z, Ziffern, - und _). Die ID mit dem Konto des Kunden abgleichen
gw-400-coded = das Gateway lehnte die Anfrage mit einem App-Code ab
gw-400-coded-todo = Was der Code bedeutet und was ihn behebt, folgt
gw-401 = das Gateway verlangt ein gültiges Token
gw-401-todo = Mit `stepwise login` anmelden oder ein Token mit --token-file PFAD, STEPWISE_TOKEN oder `token` in der Konfigurationsdatei angeben
gw-403 = diese stepsID gehört zu einem anderen Gerät
gw-403-todo = Mit der carAssociationID neu beginnen
gw-403-refused = das Gateway verweigert diese Anfrage
gw-403-refused-todo = Seine Worte sagen warum (ein Konto oder Fahrzeug, das es nicht zulässt); die carAssociationID mit dem Konto des Kunden abgleichen oder den Betreiber des Gateways fragen
gw-404 = das Gateway kennt diese ID nicht
gw-404-todo = carAssociationID oder stepsID prüfen und erneut versuchen
gw-404-steps-id = das Gateway hat keinen Schritt für diese stepsID: es kennt sie nicht oder hat sie vergessen
gw-404-steps-id-todo = Die Liste erneut per carAssociationID abfragen (`stepwise steps --car ID`): sie nennt die aktuelle stepsID des Fahrzeugs
gw-404-unnamed = für diesen Aufruf wurde an dieser Adresse nichts gefunden: eine ID, die das Gateway nicht kennt, oder ein Pfad, den dort nichts bedient
gw-404-unnamed-todo = carAssociationID oder stepsID prüfen; bekommt jede ID diese Antwort, zeigt --api nicht auf das Schritte-Gateway (das eigene 404 eines Routers): --api prüfen
gw-404-call = das Gateway lehnte den Aufruf des nächsten Schritts ab, ohne den Code 2346 (sein Zeichen für eine unbekannte stepsID)
gw-call-not-served = das Gateway bedient den Aufruf des nächsten Schritts nicht (eine Methode oder ein Aufruf, den es nicht anbietet), gleich welche stepsID
gw-404-call-todo = Listet `stepwise steps --steps-id ID` die Schritte dieses Fahrzeugs, stimmt die ID und das Gateway bietet den Aufruf des nächsten Schritts nicht an, oder etwas davor leitet ihn nicht weiter: dem Betreiber des Gateways melden. Diese Liste zeigt den nächsten Schritt ebenfalls (mit NEXT markiert)
gw-404-no-steps = das Gateway hat keine Schritte für diese carAssociationID
gw-404-no-steps-todo = Die carAssociationID prüfen; stimmt sie, hat dieses Fahrzeug an diesem Gateway keine Schritte zur Dienstaktivierung: den Betreiber des Gateways nach dem Grund fragen
gw-409 = das Gateway lehnt ab: ein früherer Schritt ist nicht erledigt
gw-409-todo = Zuerst die früheren Schritte erledigen
gw-429 = das Gateway drosselt die Anfragen
gw-408 = das Gateway oder etwas davor hat das Warten auf die ganze Anfrage aufgegeben (eine langsame oder gestörte Verbindung), was keine Ablehnung ist
gw-408-todo = Versuchen Sie es erneut; hält es an, melden Sie es dem Betreiber des Gateways (oder dem des Netzes davor)
gw-429-todo = Eine Minute warten, dann erneut versuchen
gw-429-todo-past = Es begrenzt weiter nach der Wartezeit, die sein Retry-After verlangte (stepwise hat sie abgewartet und erneut gefragt): eine Minute warten, dann erneut versuchen; hält es an, den Betreiber des Gateways informieren
gw-429-todo-after = { $secs } s warten (das Retry-After der Antwort), dann erneut versuchen
gw-429-todo-absurd = Es bittet, { $wait } zu warten (sein Retry-After), was keine Anfragebegrenzung braucht: seine Uhr oder seine Einstellung ist falsch. Den Betreiber des Gateways informieren
gw-5xx = das Gateway ist ausgefallen
gw-proxy-5xx = der Proxy antwortete mit seiner eigenen Fehlerseite (das Gateway wurde vielleicht nicht erreicht)
gw-5xx-todo = In einer Minute erneut versuchen; bleibt es dabei, den Betreiber des Gateways informieren
gw-5xx-todo-after = In { $secs } s erneut versuchen (das Retry-After der Antwort); bleibt es dabei, den Betreiber des Gateways informieren
gw-5xx-todo-absurd = Es bittet, { $wait } zu warten (sein Retry-After), was kein Neustart braucht: seine Uhr oder seine Einstellung ist falsch. In einer Minute erneut versuchen; bleibt es dabei, den Betreiber des Gateways informieren
gw-other = das Gateway lehnte die Anfrage ab
gw-3xx = es kam keine Liste zurück: eine Umleitung ohne verwendbare Adresse, oder ein „nicht geändert“ eines Caches auf eine Anfrage, die keines erbat
gw-3xx-todo = Etwas zwischen hier und dem Gateway (ein Proxy, ein Cache) oder das Gateway ist falsch eingerichtet: --api prüfen und den Betreiber des Netzwerks oder des Gateways informieren
gw-other-todo = --api prüfen und erneut versuchen
gw-other-said-todo = Seine Worte sagen warum; helfen sie nicht, den Betreiber des Gateways informieren
gw-reset-refused = das Gateway hat das Zurücksetzen des Schritte-Caches abgelehnt
gw-reset-refused-todo = Erneutes Zurücksetzen hilft nicht. Seine Worte sagen warum: sagen sie, dass das Konto oder das Gerät gesperrt ist, alle Registrierungen im Konto des Kunden entfernen und neu beginnen; sonst den Betreiber des Gateways informieren
gw-reset-refused-conflict-todo = Ein Konflikt (HTTP 409) kann bedeuten, dass für dieses Fahrzeug schon ein Zurücksetzen oder eine Änderung läuft: einen Moment warten, dann erneut zurücksetzen; bleibt es so, den Betreiber des Gateways informieren
gw-reset-refused-call-todo = HTTP { $status } sagt nicht, dass das Konto oder das Gerät gesperrt ist: das Gateway oder etwas davor hat den Aufruf so, wie er gesendet wurde, nicht angenommen. --api prüfen; stimmt es, den Betreiber des Gateways mit seinen Worten informieren
gw-app-code = App-Code { $code }: { $meaning }; { $remedy }
gw-app-code-meaning = App-Code { $code }: { $meaning }.
gw-code = Code { $code }
gw-title-redirects = Umleitungsschleife
steps-many-summary-late = keine Liste binnen { $secs } s (keine Antwort oder noch nicht abgefragt: stderr sagt, was zutrifft): { $n } ({ $ids })
steps-many-summary-failed = fehlgeschlagen: { $n } ({ $ids }), die Ursachen stehen auf stderr
steps-many-summary = Aufgelistete Fahrzeuge: { $listed } von { $total }
cli-shared-steps-id = eine stepsID ({ $id }) kam für { $count } Fahrzeuge ({ $cars }). Eine stepsID gehört zu einem Fahrzeug: ein Proxy oder Cache zwischen hier und dem Gateway (einer, der die Query übergeht) oder das Gateway selbst vertauscht Antworten, diese Listen können also die eines anderen Fahrzeugs sein. Nicht darauf verlassen; dem Betreiber des Gateways melden (und der Netzwerkadministration, wo ein Proxy eingestellt ist)
steps-many-late = keine Antwort binnen der Frist von { $secs } s (--deadline); bei einem späteren Lauf antwortet es vielleicht
steps-many-unsent = vor Ablauf der Frist von { $secs } s (--deadline) nicht abgefragt: Es wartete, bis es an der Reihe war, da Fahrzeuge nur einige zugleich abgefragt werden (--concurrency). Eine längere --deadline oder eine höhere --concurrency angeben
steps-many-unsent-hung = vor Ablauf der Frist von { $secs } s (--deadline) nicht abgefragt: Die vorher abgefragten Fahrzeuge bekamen keine Antwort (das Gateway ist ausgelastet oder hängt), eine längere --deadline oder eine höhere --concurrency schickt also nur mehr Anfragen in dasselbe Warten. Erneut ausführen, wenn das Gateway antwortet (`stepwise doctor` prüft es); bleibt es so, dem Betreiber des Gateways melden
steps-many-limited = das Gateway hat Anfragen (HTTP 429) bis zur Frist von { $secs } s (--deadline) begrenzt: es hat geantwortet, aber um Warten gebeten. Ist die erbetene Wartezeit (auf stderr genannt) länger als { $secs } s, ein --deadline länger als diese Wartezeit angeben; sonst begrenzt es diesen Client weiter: später erneut versuchen oder den Betreiber des Gateways nach seiner Grenze fragen
steps-many-limited-longer = das Gateway hat Anfragen (HTTP 429) bis zur Frist von { $secs } s (--deadline) begrenzt: es hat um { $wait } s Wartezeit gebeten, länger als die Frist. Ein --deadline über { $wait } s angeben, oder nach dieser Wartezeit erneut ausführen
steps-many-limited-again = das Gateway hat Anfragen (HTTP 429) bis zur Frist von { $secs } s (--deadline) weiter begrenzt: nach den erbetenen { $wait } s Wartezeit hat es sie erneut begrenzt. Es begrenzt diesen Client weiter: später erneut versuchen oder den Betreiber des Gateways nach seiner Grenze fragen
steps-many-held-unsent = nicht abgefragt: das Limit des Gateways (HTTP 429, auf eine andere Anfrage geantwortet) hielt jede Anfrage bis zur Frist von { $secs } s (--deadline) zurück. Ist die verlangte Wartezeit (auf stderr genannt) länger als { $secs } s, eine --deadline länger als diese Wartezeit angeben; sonst begrenzt es diesen Client weiter: später erneut versuchen oder den Betreiber des Gateways nach seiner Grenze fragen
steps-many-retry-held = Sein neuer Versuch wurde dann von der Begrenzung des Gateways (HTTP 429, für eine andere Anfrage verlangt) bis zur Frist von { $secs } s (--deadline) zurückgehalten.
steps-many-paused = Die Begrenzung des Gateways (HTTP 429, für eine andere Anfrage verlangt) hält jede Anfrage noch { $secs } s zurück: danach erneut versuchen.
steps-many-summary-limited = bis { $secs } s durch HTTP 429 zurückgehalten: { $n } ({ $ids })
steps-many-summary-shared = unter einer stepsID, unter der auch die Liste eines anderen Fahrzeugs kam, nicht verlässlich (stderr sagt, warum): { $n } ({ $ids })
gw-title-token-refused = Token abgelehnt
gw-title-scope = Scope fehlt
gw-title-proxy = Antwort des Proxys
gw-title-proxy-unreachable = Proxy nicht erreichbar
gw-title-not-a-gateway = Kein Steps-Gateway
gw-title-no-list-here = Keine Liste für diese ID
gw-title-call-not-offered = Aufruf nicht angeboten
gw-title-refused = Zugriff abgewiesen
gw-title-captive-portal = Netzwerkanmeldung nötig
gw-connect-timed-out = keine Verbindung zu { $base } binnen { $secs } s: niemand hat sie angenommen (der Server ist überlastet, oder eine Firewall verwirft die Pakete). Netzwerk und --api prüfen, dann erneut versuchen
gw-redirects = das Gateway unter { $base } leitet im Kreis oder zu oft um. --api prüfen (die Adresse kann sich geändert haben); stimmt sie, den Betreiber des Gateways informieren
gw-wants-tls = der Server unter { $base } spricht TLS, aber --api sagt http://. https:// in --api verwenden
gw-port-plain-http = der Server unter { $base } spricht einfaches HTTP, kein TLS, aber --api sagt https://. http:// in --api verwenden oder den Port, auf dem er HTTPS anbietet
gw-port-not-http = der Server unter { $base } spricht weder HTTP noch TLS (er begann mit „{ $said }“): der Port in --api gehört einem anderen Dienst. Den Port prüfen
gw-port-not-http-here = der Server unter { $base } hat auf diese Anfrage mit etwas geantwortet, das weder HTTP noch TLS ist: ein defekter Server oder nicht das Gateway. --api prüfen
gw-port-tls-closed = der Server unter { $base } hat die Verbindung angenommen und während des TLS-Handshakes geschlossen: er spricht auf diesem Port vielleicht kein TLS oder lehnt diesen Client ab. Den Port in --api prüfen; `stepwise doctor` sagt mehr
gw-port-tls-silent = der Server unter { $base } hat die Verbindung angenommen, aber binnen { $secs } s keinen TLS-Handshake geführt: der Port spricht vielleicht kein TLS, oder der Server hängt. Den Port in --api prüfen; stimmt er, den Betreiber des Gateways informieren
gw-401-login = HTTP 401: das Gateway hat das Token der mit `stepwise login` gespeicherten Anmeldung abgelehnt. Mit `stepwise login` neu anmelden; bei einem Gateway mit festem Token dessen aktuelles mit `stepwise login --with-token` hinterlegen
gw-token-dropped = HTTP 401: das Gateway antwortet, als hätte es kein Token erreicht (seine Challenge nennt keinen Fehler), obwohl das Token aus { $from } über den Proxy { $proxy } hinausging: der Proxy entfernt womöglich den Authorization-Header, jedes Token würde also ebenso abgelehnt. NO_PROXY={ $host } setzen, wenn das Gateway ohne den Proxy erreichbar ist, oder den Betreiber des Proxys bitten, den Authorization-Header durchzulassen
gw-401-login-expired = HTTP 401: das Token der mit `stepwise login` gespeicherten Anmeldung ist vor { $ago } abgelaufen, und der Identitätsanbieter hat kein Refresh-Token zum Erneuern gegeben: darum lehnt das Gateway es ab. Mit `stepwise login` neu anmelden
gw-401-login-no-signin = HTTP 401: das Gateway lehnte das mit `stepwise login --with-token` hinterlegte Token ab. Es bietet keine Anmeldung: sein Token kommt von dem, der es betreibt. Dort das aktuelle Token erfragen und mit `stepwise login --with-token` hinterlegen
gw-401-config = HTTP 401: das Gateway hat das Token aus der Konfigurationsdatei (`token` oder `token_file`) abgelehnt. Dort das aktuelle Token dieses Gateways eintragen, oder es entfernen und mit `stepwise login` anmelden
gw-401-environment = HTTP 401: das Gateway hat das Token in STEPWISE_TOKEN abgelehnt. Die Variable auf das aktuelle Token dieses Gateways setzen, oder sie entfernen und mit `stepwise login` anmelden
gw-401-environment-login-kept = HTTP 401: das Gateway hat das Token in STEPWISE_TOKEN abgelehnt, das Vorrang vor der für dieses Gateway gespeicherten Anmeldung hat. STEPWISE_TOKEN entfernen, um diese Anmeldung zu nutzen (das Gateway hat sie eben angenommen), oder die Variable auf das aktuelle Token dieses Gateways setzen
gw-401-environment-login-refused = HTTP 401: das Gateway hat das Token in STEPWISE_TOKEN abgelehnt, und die für dieses Gateway gespeicherte Anmeldung ebenso (eben versucht). STEPWISE_TOKEN auf das aktuelle Token dieses Gateways setzen; die gespeicherte Anmeldung muss ebenfalls erneuert werden (`stepwise login`, oder `stepwise login --with-token`, wo das Gateway keine Anmeldung bietet)
gw-401-token-file = HTTP 401: das Gateway hat das Token aus --token-file abgelehnt. Das aktuelle Token dieses Gateways in die Datei schreiben, oder --token-file weglassen und mit `stepwise login` anmelden
gw-401-token-file-login-kept = HTTP 401: das Gateway hat das Token aus --token-file abgelehnt, das Vorrang vor der für dieses Gateway gespeicherten Anmeldung hat. --token-file weglassen, um diese Anmeldung zu nutzen (das Gateway hat sie eben angenommen), oder das aktuelle Token dieses Gateways in die Datei schreiben
gw-401-token-file-login-refused = HTTP 401: das Gateway hat das Token aus --token-file abgelehnt, und die für dieses Gateway gespeicherte Anmeldung ebenso (eben versucht). Das aktuelle Token dieses Gateways in die Datei schreiben; die gespeicherte Anmeldung muss ebenfalls erneuert werden (`stepwise login`, oder `stepwise login --with-token`, wo das Gateway keine Anmeldung bietet)
gw-401-none = HTTP 401: das Gateway verlangt ein Token, und es wurde keines gesendet. Mit `stepwise login` anmelden, oder ein Token mit --token-file PFAD, STEPWISE_TOKEN oder `token` in der Konfigurationsdatei angeben
gw-401-expired = Das Token ist laut dem darin eingetragenen Ablauf seit { $ago } abgelaufen: deshalb wird es abgelehnt
gw-401-said = Das Gateway sagt: „{ $said }“
gw-401-none-no-signin = HTTP 401: das Gateway verlangt ein Token, und es wurde keines gesendet. Es bietet keine Anmeldung: sein Token kommt von dem, der es betreibt. Dieses Token mit `stepwise login --with-token` hinterlegen oder mit --token-file PFAD, STEPWISE_TOKEN oder `token` in der Konfigurationsdatei angeben
gw-404-demo = HTTP 404: das Demo-Backend kennt diese ID nicht{ $said }. Es ist kein Gateway eingestellt (kein --api, STEPWISE_API oder `api` in der Konfigurationsdatei), also hat die eingebaute Demo geantwortet, und sie kennt nur { $ids }. Um Ihr Gateway zu fragen, --api URL angeben
gw-404-demo-steps-id = HTTP 404: das Demo-Backend kennt diese stepsID nicht{ $said }. Es ist kein Gateway eingestellt (kein --api, STEPWISE_API oder `api` in der Konfigurationsdatei), also hat die eingebaute Demo geantwortet. Ihre stepsIDs kommen mit einer Liste, die per carAssociationID abgefragt wird (sie kennt { $ids }): `stepwise steps --car ID` liefert eine. Um Ihr Gateway zu fragen, --api URL angeben
gw-404-demo-wizard = HTTP 404: das Demo-Backend kennt diese ID nicht{ $said }. Es ist kein Gateway eingestellt (kein --api, STEPWISE_API oder `api` in der Konfigurationsdatei), also hat die eingebaute Demo geantwortet; die IDs, die sie kennt, bietet der Startbildschirm an. Um Ihr Gateway zu fragen, beenden und mit --api URL neu starten
gw-404-demo-board = HTTP 404: das Demo-Backend kennt diese ID nicht{ $said }. Es ist kein Gateway eingestellt (kein --api, STEPWISE_API oder `api` in der Konfigurationsdatei), also hat die eingebaute Demo geantwortet, und sie kennt nur ihre eigenen Fahrzeuge (`stepwise demo --board` öffnet eine Übersicht mit allen). Um Ihr Gateway zu fragen, beenden und mit --api URL neu starten
gw-404-demo-command = HTTP 404: das Demo-Backend kennt diese ID nicht{ $said }. `stepwise demo` läuft immer auf der eingebauten Demo, die nur ihre eigenen IDs kennt (die sie anbietet). Um Ihr Gateway zu fragen, beenden und `stepwise --api URL --car ID` ausführen, oder `stepwise fleet --api URL --cars DATEI` für eine Übersicht
gw-401-login-unreadable = HTTP 401: das Gateway verlangt ein Token, und es wurde keines gesendet: die von `stepwise login` gespeicherten Anmeldungen waren nicht lesbar: { $why }. Oder ein Token mit --token-file PFAD, STEPWISE_TOKEN oder `token` in der Konfigurationsdatei angeben
gw-401-login-damaged = HTTP 401: das Gateway verlangt ein Token, und es wurde keines gesendet: { $why }, dann `stepwise login` ausführen, um sich neu anzumelden. Oder ein Token mit --token-file PFAD, STEPWISE_TOKEN oder `token` in der Konfigurationsdatei angeben
gw-401-config-no-signin = HTTP 401: das Gateway hat das Token aus der Konfigurationsdatei (`token` oder `token_file`) abgelehnt. Es bietet keine Anmeldung: sein Token kommt von dem, der es betreibt. Dort das aktuelle Token dieses Gateways eintragen
gw-401-environment-no-signin = HTTP 401: das Gateway hat das Token in STEPWISE_TOKEN abgelehnt. Es bietet keine Anmeldung: sein Token kommt von dem, der es betreibt. STEPWISE_TOKEN auf das aktuelle Token dieses Gateways setzen
gw-401-token-file-no-signin = HTTP 401: das Gateway hat das Token aus --token-file abgelehnt. Es bietet keine Anmeldung: sein Token kommt von dem, der es betreibt. Das aktuelle Token dieses Gateways in die Datei schreiben
gw-proxy-other-todo = { $from } prüfen (die verwendete Proxy-Variable), NO_PROXY für den Host des Gateways setzen, wenn es ohne den Proxy erreichbar ist, oder den Betreiber des Proxys fragen
gw-proxy-429-todo = Der Proxy begrenzt die Anfragen: ein paar Minuten warten (sein Retry-After, falls er eines gab), dann erneut versuchen; hält es an, den Betreiber des Proxys fragen
gw-proxy-429-wait-todo = Der Proxy begrenzt die Anfragen und bittet, { $secs } s zu warten: danach erneut versuchen; bleibt es so, den Betreiber des Proxys fragen
gw-proxy-unset-407 = ein Proxy dieses Netzes hat selbst mit HTTP { $status } geantwortet{ $said }, obwohl hier keiner eingestellt ist; die Anfrage hat das Gateway also nie erreicht. HTTPS_PROXY (HTTP_PROXY für ein http://-Gateway) auf http://benutzer:passwort@proxy:port mit der Adresse dieses Proxys setzen oder den Netzwerkadministrator fragen
gw-proxy-unreachable = keine Verbindung zum Proxy { $proxy } (aus { $from }): { $detail }. Das Gateway wurde nicht gefragt. Die Proxy-Variable prüfen, oder NO_PROXY={ $host } setzen, wenn das Gateway ohne den Proxy erreichbar ist
gw-proxy-silent = der Proxy { $proxy } (aus { $from }) hat innerhalb von { $secs } s keinen Weg zu { $host } geöffnet: Er nahm keine Verbindung an oder nahm eine an und antwortete nie. Das Gateway wurde nicht gefragt. Prüfen, dass der Proxy läuft und die Proxy-Variable ihn nennt, beim Betreiber des Proxys nachfragen oder NO_PROXY={ $host } setzen, wenn das Gateway ohne den Proxy erreichbar ist
gw-proxy-tunnel = der Proxy { $proxy } (aus { $from }) hat keinen Tunnel (CONNECT) zu { $host } geöffnet; die Anfrage hat das Gateway nie erreicht: er lässt diesen Host und Port nicht durch, oder er konnte das Gateway nicht erreichen (ausgefallen, oder ein Name, den der Proxy nicht kennt). Prüfen, ob das Gateway läuft und der Host in --api stimmt, den Betreiber des Proxys fragen, ob er diesen Host und Port durchlässt, oder NO_PROXY={ $host } setzen, wenn das Gateway ohne den Proxy erreichbar ist
gw-proxy-no-tunnel = was { $from } nennt, { $proxy }, antwortete auf CONNECT mit HTTP { $status }: es öffnet überhaupt keine Tunnel, ist also ein Webserver oder ein Proxy, der https:// nicht durchleiten kann. Das Gateway wurde nicht gefragt. { $from } prüfen: es muss einen HTTP-Proxy nennen, der https tunnelt (oft Port 3128 oder 8080)
gw-proxy-tunnel-closed = der Proxy { $proxy } (aus { $from }) hat einen Tunnel zu { $host } geöffnet, der dann während des TLS-Handshakes geschlossen wurde: der Proxy oder etwas dahinter hat ihn getrennt. Beim Betreiber des Proxys nachfragen, ob er TLS zu diesem Host durchlässt, oder NO_PROXY={ $host } setzen, wenn das Gateway ohne den Proxy erreichbar ist
tls-or-plain-http = Oder das Gateway am Ende spricht auf diesem Port einfaches HTTP, während --api https:// sagt: dann http:// in --api verwenden (`stepwise doctor` ohne den Proxy, NO_PROXY={ $host }, zeigt, was zutrifft)
gw-proxy-garbled = was über den Proxy { $proxy } (aus { $from }) zurückkam, ist kein HTTP: die Proxy-Variable nennt vielleicht etwas, das kein HTTP-Proxy ist, oder der Proxy ist defekt. Die Proxy-Variable prüfen, beim Betreiber des Proxys nachfragen, oder NO_PROXY={ $host } setzen, wenn das Gateway ohne den Proxy erreichbar ist
gw-proxy-empty = die Antwort, die über den Proxy { $proxy } (aus { $from }) kam, ist leer, wo eine JSON-Schrittliste erwartet wurde: der Proxy hat vielleicht selbst geantwortet oder eine leere Antwort weitergegeben. Die Proxy-Variable prüfen, beim Betreiber des Proxys nachfragen, oder NO_PROXY={ $host } setzen, wenn das Gateway ohne den Proxy erreichbar ist
gw-proxy-html = was über den Proxy { $proxy } (aus { $from }) kam, ist eine HTML-Seite, wo eine JSON-Schrittliste erwartet wurde: die eigene Seite des Proxys (eine Anmelde- oder Portalseite) oder ein Webserver unter --api. NO_PROXY={ $host } setzen, wenn das Gateway ohne den Proxy erreichbar ist; sonst prüfen, ob --api auf ein Schritte-Gateway zeigt
gw-proxy-no-list = was über den Proxy { $proxy } (aus { $from }) kam, ist keine Schrittliste: { $why }. Der Proxy hat womöglich selbst geantwortet, oder unter --api antwortet kein Schritte-Gateway. NO_PROXY={ $host } setzen, wenn das Gateway ohne den Proxy erreichbar ist; kamen von diesem --api schon Listen, den Betreiber des Proxys fragen, was er geantwortet hat; wenn nicht, prüfen, ob --api auf ein Schritte-Gateway zeigt
gw-proxy-too-large = was über den Proxy { $proxy } (aus { $from }) kam, ist größer als { $kib } KiB und wurde nicht weiter gelesen: Keine Schrittliste ist so groß. Der Proxy hat womöglich selbst geantwortet, oder unter --api antwortet kein Schritte-Gateway. NO_PROXY={ $host } setzen, wenn das Gateway ohne den Proxy erreichbar ist; kamen von diesem --api schon Listen, den Betreiber des Proxys fragen, was er geantwortet hat; wenn nicht, prüfen, ob --api auf ein Schritte-Gateway zeigt
gw-proxy-closed = der Proxy { $proxy } (aus { $from }) hat die Verbindung ohne Antwort geschlossen; ob das Gateway gefragt wurde, ist unbekannt. Erneut versuchen; bleibt es so, beim Betreiber des Proxys nachfragen, oder NO_PROXY={ $host } setzen, wenn das Gateway ohne den Proxy erreichbar ist
gw-proxy-connect-closed = der Proxy { $proxy } (aus { $from }) hat die Verbindung geschlossen, ohne die Anfrage nach einem Tunnel (CONNECT) zu { $host } zu beantworten, also wurde das Gateway nicht gefragt. Erneut versuchen; bleibt es so, den Betreiber des Proxys fragen, ob er diesen Host durchlässt, oder NO_PROXY={ $host } setzen, wenn das Gateway ohne den Proxy erreichbar ist
gw-proxy-5xx-todo = Der Proxy hat diese Anfrage nicht weitergegeben. Kommt nichts durch ihn zu dieser --api, prüfen, ob das Gateway läuft und --api stimmt; kommen andere Anfragen durch (Listen anderer Fahrzeuge), lässt der Proxy diese eine scheitern: den Betreiber des Proxys fragen
gw-proxy-5xx-wait-todo = Der Proxy hat diese Anfrage nicht weitergegeben und bittet, { $secs } s zu warten (sein Retry-After): danach erneut versuchen. Kommt nichts über ihn zu dieser --api durch, prüfen, dass das Gateway läuft und --api stimmt; kommen andere Anfragen durch (Listen anderer Fahrzeuge), scheitert der Proxy an dieser: den Betreiber fragen
gw-proxy-loopback = das Gateway ist auf diesem Rechner ({ $host }), aber { $from } schickt seine Anfragen an den Proxy { $proxy }, der selbst mit HTTP { $status } antwortete: die Anfrage hat das Gateway nie erreicht. Der Proxy (oder einer, an den er weiterleitet) erreicht die eigenen Adressen dieses Rechners nicht: NO_PROXY={ $host } setzen und erneut versuchen
gw-proxy-loopback-tunnel = das Gateway ist auf diesem Rechner ({ $host }), aber { $from } schickt seine Anfragen an den Proxy { $proxy }, der keinen Tunnel (CONNECT) dorthin geöffnet hat: die Anfrage hat das Gateway nie erreicht. Der Proxy (oder einer, an den er weiterleitet) erreicht die eigenen Adressen dieses Rechners nicht: NO_PROXY={ $host } setzen und erneut versuchen
gw-proxy-loopback-down = unter { $host }:{ $port }, der Adresse des Gateways auf diesem Rechner, lauscht nichts (direkt versucht): Das Gateway läuft dort nicht, daher konnte auch der Proxy { $proxy } (aus { $from }) es nicht erreichen. Prüfen, ob das Gateway läuft und ob der Port in --api stimmt
gw-proxy-refused-todo = Der Proxy hat Benutzername und Passwort abgelehnt: diese in der Proxy-Variable prüfen (http://benutzer:passwort@proxy:port), oder den Betreiber des Proxys fragen
gw-proxy-401-basic-todo = Es verlangt bei HTTP 401 einen Benutzernamen und ein Passwort (Basic). Ein Proxy, der so fragt (tinyproxy tut es), nimmt sie aus der Proxy-Variable (http://user:password@proxy:port); die Anmeldung eines Webservers hinter dem Proxy nimmt keine daraus, und stepwise kann sie nicht beantworten: dann dessen Betreiber fragen, oder NO_PROXY für den Host des Gateways setzen, wenn es direkt erreichbar ist
gw-proxy-401-basic-refused-todo = Es verlangt bei HTTP 401 einen Benutzernamen und ein Passwort (Basic), obwohl die Proxy-Variable welche enthält: der Proxy hat sie abgelehnt (prüfen, Zeichen wie @ oder : prozentkodiert), oder die Anmeldung gehört einem Webserver hinter dem Proxy, der keine aus der Proxy-Variable nimmt und den stepwise nicht beantworten kann. Den Betreiber des Proxys fragen, oder NO_PROXY für den Host des Gateways setzen, wenn es direkt erreichbar ist
gw-proxy-portal-todo = Der Proxy oder ein Portal davor verlangt eine eigene Anmeldung (die eines Portals oder ein anderes Verfahren als Basic), die kein Benutzername und Passwort in der Proxy-Variable beantwortet: sich in einem Browser auf diesem Rechner dort anmelden oder den Betreiber des Proxys fragen; oder NO_PROXY für den Host des Gateways setzen, wenn es direkt erreichbar ist
gw-proxy-forbidden-todo = Der Proxy lehnt diese Anfrage nach seinen eigenen Regeln ab (diese Adresse oder diesen Client): den Betreiber des Proxys bitten, die Adresse des Gateways durchzulassen, oder NO_PROXY für den Host des Gateways setzen, wenn es ohne den Proxy erreichbar ist
gw-proxy-credentials-refused = der Proxy { $proxy } (aus { $from }) lehnte Benutzername und Passwort aus der Proxy-Variablen ab (HTTP 407), die Anfrage hat das Gateway also nie erreicht. Beide prüfen (http://benutzer:passwort@proxy:port, Zeichen wie @ oder : darin prozentkodiert) oder beim Betreiber des Proxys nachfragen
gw-proxy-407-todo = Der Proxy verlangt Benutzername und Passwort: diese in die Proxy-Variable eintragen (http://benutzer:passwort@proxy:port), oder NO_PROXY für den Host des Gateways setzen, wenn es direkt erreichbar ist
gw-proxy-windows-todo = Der Proxy verlangt eine Windows-Anmeldung (Negotiate oder NTLM), die stepwise nicht leisten kann: kein Benutzername und Passwort in der Proxy-Variable beantwortet sie. Den Betreiber des Proxys bitten, die Adresse des Gateways ohne sie durchzulassen (oder Basic anzubieten), oder NO_PROXY für den Host des Gateways setzen, wenn es direkt erreichbar ist
gw-proxy = der Proxy { $proxy } (aus { $from }) antwortete selbst mit HTTP { $status }{ $said }; die Anfrage hat das Gateway nie erreicht. { $todo }
gw-not-a-gateway = { $base } antwortete mit HTTP { $status } ohne den Fehlerinhalt eines Gateways: diese Adresse ist kein Steps-Gateway (ein falscher Pfad in --api oder ein anderer Webserver). --api die Basis-URL geben, unter der pims/subscription/steps liegt, etwa https://gateway.example/ oder https://host/praefix/
gw-not-a-gateway-listed = { $base } antwortete mit HTTP { $status } ohne den Fehlerinhalt eines Gateways, obwohl in diesem Lauf Listen anderer Fahrzeuge von dieser Adresse kamen: --api stimmt, und das Gateway kennt diese ID höchstwahrscheinlich nicht. Die ID prüfen; stimmt sie, dem Betreiber des Gateways melden (eine Route davor kann diese eine Anfrage ablehnen)
gw-not-a-gateway-proxy = { $base } antwortete über den Proxy { $proxy } mit HTTP { $status } ohne den Fehlerinhalt eines Gateways: die eigene Seite des Proxys (ein Hostname, den er nicht auflösen oder erreichen konnte) oder eine Adresse, die kein Steps-Gateway ist. Den Hostnamen in --api prüfen oder NO_PROXY={ $host } setzen, wenn das Gateway ohne den Proxy erreichbar ist; stimmt der Host, --api die Basis-URL geben, unter der pims/subscription/steps liegt, etwa https://gateway.example/
gw-call-not-offered = { $base } antwortete HTTP { $status } ohne Fehlerkörper eines Gateways auf den Aufruf { $call }. Funktioniert die Liste per carAssociationID unter dieser Adresse (`stepwise steps --car ID`), stimmt --api und das Gateway bietet diesen Aufruf nicht an, oder etwas davor leitet ihn nicht weiter: dem Betreiber des Gateways melden. Sonst ist --api nicht die Basis-URL eines Schritte-Gateways: die angeben, unter der pims/subscription/steps liegt, etwa https://gateway.example/
gw-not-a-gateway-path = { $base } antwortete mit HTTP { $status }: --api enthält den Pfad des Aufrufs ({ $path }), den stepwise selbst anfügt. --api die Adresse davor geben: { $suggested }
gw-basic-prompt = { $base } fragt nach Benutzername und Passwort (HTTP 401, Basic): die Anmeldung eines Webservers oder Reverse-Proxys, die stepwise nicht beantworten kann; ein Schritte-Gateway nimmt ein Bearer-Token. --api prüfen oder den Betreiber dieses Servers bitten, die Anfragen an das Gateway durchzulassen
gw-windows-prompt = { $base } fragt nach der Windows-Anmeldung (HTTP 401, Negotiate oder NTLM): die Anmeldung eines Webservers oder Reverse-Proxys, die stepwise nicht beantworten kann; ein Schritte-Gateway nimmt ein Bearer-Token. --api prüfen oder den Betreiber dieses Servers bitten, die Anfragen an das Gateway durchzulassen
gw-refused = { $base } antwortete mit HTTP { $status }{ $said }{ $via } ohne Fehlerinhalt in der Form des Gateway-Vertrags: gewertet als Zugriff, der von etwas vor dem Gateway abgewiesen wurde (einer Firewall, einer Web Application Firewall oder einem Reverse Proxy), nicht als abgewiesene stepsID. Das Token und seine Rechte prüfen; stimmen sie, den Betreiber des Netzes fragen, ob er diese Adresse sperrt
gw-refused-no-token = { $base } antwortete mit HTTP { $status }{ $said }{ $via } ohne Fehlerinhalt in der Form des Gateway-Vertrags: gewertet als Zugriff, der von etwas vor dem Gateway abgewiesen wurde (einer Firewall, einer Web Application Firewall oder einem Reverse Proxy), nicht als abgewiesene stepsID. Es wurde kein Token gesendet. Wo kein Fahrzeug seine Liste von diesem Gateway ohne Token bekommt, will das Gateway vielleicht eines: geben Sie es an (--token-file PFAD, STEPWISE_TOKEN, `stepwise login` oder, wo das Gateway keine Anmeldung bietet, `stepwise login --with-token`). Wo andere Fahrzeuge ihre Listen von diesem Gateway ohne Token bekommen, fehlt keines: fragen Sie den Betreiber des Netzes oder des Gateways, warum der Aufruf dieses Fahrzeugs gesperrt wird
gw-refused-via-proxy = { $base } antwortete über den Proxy { $proxy } mit HTTP { $status }{ $said }, ohne den Fehlerkörper eines Gateways: der Proxy oder etwas vor dem Gateway hat die Anfrage abgelehnt. Den Betreiber des Proxys fragen, ob er diese Adresse durchlässt, oder NO_PROXY={ $host } setzen, wenn das Gateway ohne den Proxy erreichbar ist
gw-401-via-proxy = { $base } antwortete über den Proxy { $proxy } mit HTTP 401{ $said }, einer Webseite statt des Fehlerkörpers eines Gateways: der Proxy, ein Portal davor oder etwas vor dem Gateway (ein Reverse-Proxy, ein Webserver) verlangt eine eigene Anmeldung, die kein Token des Gateways beantwortet. Sich in einem Browser auf diesem Rechner dort anmelden oder die Betreiber des Proxys und des Gateways fragen; oder NO_PROXY={ $host } setzen, wenn das Gateway ohne den Proxy erreichbar ist
gw-401-bare-through-proxy = Diese Antwort kam über den Proxy { $proxy } (aus { $from }) als bloßes HTTP 401, ohne Inhalt und ohne Challenge, das auch der Proxy selbst gegeben haben kann: Kommt ein Token nicht daran vorbei, fragen Sie die Betreiber des Proxys, ob er eine eigene Anmeldung verlangt, oder setzen Sie NO_PROXY={ $host }, wenn das Gateway direkt erreichbar ist
gw-front-400 = { $base } hat HTTP { $status }{ $said }{ $via } mit einer Webseite beantwortet, ohne Fehlerinhalt eines Gateways: etwas vor dem Gateway (ein Reverse-Proxy oder eine Web Application Firewall) hat die Anfrage abgelehnt, das Gateway hat also nichts damit getan. Die ID ist nicht schuld (stepwise prüft sie vor dem Senden), und --api ist richtig, wenn schon Listen davon kamen: den Betreiber dieser Adresse fragen, was seine Seite bedeutet
gw-front-401 = { $base } hat mit HTTP 401{ $said } geantwortet, mit einer Webseite und ohne Anmelde-Challenge (kein WWW-Authenticate-Header), wo ein Schritte-Gateway mit seinem Fehlerkörper antwortet und sagt, wie es sein Token will: etwas vor dem Gateway (ein Reverse-Proxy, ein Webserver oder ein Portal) verlangt eine eigene Anmeldung. Kamen von dieser Adresse zuvor Listen ohne Token, fehlt kein Gateway-Token: die Betreiber des Netzwerks oder des Gateways fragen, was diese Anmeldung verlangt; sonst sie fragen, ob das Gateway dort ein Token will
gw-title-unreachable = Gateway nicht erreichbar
gw-title-timed-out = Gateway-Zeitüberschreitung
gw-title-timed-out-proxy = Keine Antwort über den Proxy
gw-title-bad-request = Anfrage abgelehnt
gw-title-unauthorized = Token nötig
gw-title-wrong-device = stepsID eines anderen Geräts
gw-title-forbidden = Vom Gateway verweigert
gw-title-not-found = Unbekannte ID
gw-title-no-steps = Keine Schritte
gw-title-conflict = Falsche Reihenfolge
gw-title-reset-refused = Zurücksetzen abgelehnt
gw-title-too-many = Zu viele Anfragen
gw-title-server-failure = Gateway-Fehler
gw-title-failed = Anfrage fehlgeschlagen
gw-title-too-large = Antwort zu groß
gw-title-bad-answer = Unbrauchbare Antwort
gw-title-config = Falsche Konfiguration

## The guidance pages the customer's phone opens

page-kicker = Ihre vernetzten Dienste aktivieren: ein Schritt
page-errors = Codes, die die App bei diesem Schritt zeigen kann
page-footer = Gezeigt von Ihrem Händler mit stepwise
page-does = So gehen Sie vor:
page-needs = Das brauchen Sie:
page-errors-hint = Zeigt die App einen dieser Codes, nennen Sie ihn Ihrem Händler: Er weiß, was hilft.
page-unknown-purpose = Das Werkzeug Ihres Händlers hat für diesen Schritt keine Anleitung.
page-unknown-does =
    Öffnen Sie die App und folgen Sie ihren Anweisungen für diesen Schritt.
    Zeigt die App einen Fehlercode, notieren Sie ihn und zeigen Sie ihn Ihrem Händler.
page-step-deviceActivation-purpose = Registriert dieses Telefon für die starke Authentifizierung: das Telefon ist, was Sie haben, der PIN-Code, was Sie wissen.
page-step-mediumCarKey-purpose = Beweist, dass Sie die Schlüssel des Fahrzeugs wirklich haben. Nur einmal nötig.
page-step-trusterPhoneNumber-needs =
    Das Telefon mit der zu registrierenden Nummer, eingeschaltet und SMS-fähig
    Die Fahrzeug-App, an Ihrem Konto angemeldet
page-step-deviceActivation-needs =
    Das zu aktivierende Telefon; die vertrauenswürdige Nummer muss SMS empfangen können
    Ihren PIN-Code, falls vorhanden, sonst einen neuen, den Sie sich merken
    Eine funktionierende Datenverbindung am Telefon
page-step-mediumCarKey-needs =
    Das Telefon, bereits per Bluetooth mit dem Fahrzeug gekoppelt
    Die Fahrzeugschlüssel, während Sie im Fahrzeug sitzen
    Standort und Bluetooth in den Telefon-Einstellungen eingeschaltet

gw-title-tls = Sichere Verbindung fehlgeschlagen
gw-title-live = Live-Stream gestört
gw-title-live-contradicted = Live-Stream widerspricht den Listen
gw-title-live-left-out = Live-Stream lässt Listen aus
gw-title-live-refused = Live-Stream abgelehnt
gw-title-live-not-offered = Live-Stream nicht mehr angeboten
gw-title-live-page = Live-Stream von einer Webseite beantwortet
gw-title-live-compressed = Live-Stream komprimiert
gw-title-token-dropped = Token unterwegs verloren

## A TLS connection that failed, named; { $via } is empty or names the proxy

tls-via-proxy = { " " }(über den Proxy { $proxy })
tls-unknown-issuer = das Gateway unter { $base }{ $via } zeigte ein Zertifikat eines unbekannten Ausstellers (eine private Zertifizierungsstelle oder ein Proxy, der TLS prüft). Dieser Stelle mit --ca-file DATEI (ihr Zertifikat, PEM) oder STEPWISE_CA_FILE vertrauen; ist schon eine angegeben, hat nicht sie dieses Zertifikat signiert (ein Serverzertifikat statt seiner Stelle, oder eine inzwischen neu erzeugte Stelle): das aktuelle Zertifikat der Stelle des Gateways nehmen. Oder das Gateway sendet die Zwischenstelle nicht, die sein Zertifikat mit dieser Stelle verbindet (stepwise doctor sagt es)
tls-expired = das Zertifikat des Gateways unter { $base } ist abgelaufen. Das Datum dieses Rechners prüfen; stimmt es, den Betreiber des Gateways informieren
tls-not-yet-valid = das Zertifikat des Gateways unter { $base } ist noch nicht gültig. Datum und Uhrzeit dieses Rechners prüfen; stimmen sie, den Betreiber des Gateways informieren
tls-wrong-host = das Zertifikat des Gateways unter { $base } ist nicht für { $host } ausgestellt. In --api den Hostnamen oder die Adresse verwenden, für die das Zertifikat ausgestellt ist
tls-wrong-host-names = das Zertifikat des Gateways unter { $base } ist für { $names } ausgestellt, nicht für { $host }. Einen davon in --api verwenden oder das Zertifikat des Gateways für { $host } ausstellen lassen
tls-no-host-names = das Zertifikat des Gateways unter { $base } nennt keinen Host (kein Subject Alternative Name; den Common Name allein liest TLS nicht mehr). Kein --api hilft: das Zertifikat mit dem Hostnamen als Subject Alternative Name neu ausstellen lassen
tls-old-version = das Zertifikat des Gateways unter { $base } ist ein X.509-Zertifikat der Version 1, das TLS nicht mehr annimmt. Kein --api, --ca-file oder Client-Zertifikat kann das beheben: das Zertifikat als Version 3 neu ausstellen lassen, mit dem Hostnamen als alternativem Subjektnamen
tls-certificate-required = das Gateway unter { $base } verlangt ein Client-Zertifikat. Eines mit --client-cert DATEI --client-key DATEI angeben
tls-client-refused = das Gateway unter { $base } lehnte das Client-Zertifikat ab ({ $alert }). Ein Zertifikat der Stelle verwenden, der das Gateway vertraut; `stepwise doctor` prüft auch seine Gültigkeitsdaten
tls-client-expired = das Gateway unter { $base } meldet, dass das Client-Zertifikat abgelaufen ist. Bei der ausstellenden Stelle ein neues anfordern (--client-cert, --client-key) und das Datum dieses Rechners prüfen
tls-client-unsupported = das Gateway unter { $base } hat das Client-Zertifikat als nicht unterstützt abgelehnt: meist ist es nicht für einen Client ausgestellt (das Zertifikat eines Servers, dessen Schlüsselverwendung keine Client-Authentifizierung enthält). Ein für Client-Authentifizierung ausgestelltes Zertifikat verwenden (--client-cert, --client-key)
tls-authority-as-server = das Gateway unter { $base } zeigt das Zertifikat einer Zertifizierungsstelle (CA:TRUE) als eigenes Serverzertifikat, was TLS nicht annimmt. Den Betreiber des Gateways bitten, ein von dieser Stelle signiertes Serverzertifikat zu verwenden; das Zertifikat der Stelle gehört in --ca-file
tls-handshake-refused = das Gateway unter { $base }{ $via } lehnte den TLS-Handshake ab ({ $alert }). --api prüfen; stimmt es, den Betreiber des Gateways informieren
tls-not-tls = der Server unter { $base }{ $via } spricht kein TLS. Den Port prüfen, oder http:// verwenden, wenn das Gateway kein TLS hat
tls-not-tls-proxy = über den Proxy { $proxy } kam für { $base } kein TLS zurück: der Proxy oder ein Filter dahinter hat anstelle des Gateways geantwortet (eine Sperrseite, eine Prüfung). Beim Betreiber des Proxys nachfragen, ob er TLS zu diesem Host durchlässt, oder NO_PROXY={ $host } setzen, wenn das Gateway ohne den Proxy erreichbar ist
tls-other = die TLS-Verbindung zum Gateway unter { $base }{ $via } schlug fehl: { $what }. --api, --ca-file und das Client-Zertifikat prüfen

## Step guidance

step-trusterPhoneNumber-title = Vertrauenswürdige Telefonnummer
step-trusterPhoneNumber-purpose = Registriert die Telefonnummer, der das Konto für Sicherheitscodes vertraut. Muss vor der Geräteaktivierung erledigt sein.
step-trusterPhoneNumber-needs =
    Das Telefon mit der zu registrierenden Nummer, eingeschaltet und SMS-fähig
    Die Fahrzeug-App, am Konto des Kunden angemeldet
step-trusterPhoneNumber-does =
    In der App die vertrauenswürdige Telefonnummer eingeben oder bestätigen.
    Auf die SMS mit dem Code an diese Nummer warten (kann eine Minute dauern).
    Den SMS-Code in das Code-Feld der App tippen und bestätigen.
    Wird der Code abgelehnt oder ist er zu alt, in der App einen neuen anfordern und erneut versuchen.

step-deviceActivation-title = Geräteaktivierung
step-deviceActivation-purpose = Registriert dieses Telefon für die starke Authentifizierung: das Telefon ist, was der Kunde hat, der PIN-Code, was er weiß.
step-deviceActivation-needs =
    Das zu aktivierende Telefon; die vertrauenswürdige Nummer muss SMS empfangen können
    Den PIN-Code des Kunden, falls vorhanden, sonst einen neuen, den er sich merkt
    Eine funktionierende Datenverbindung am Telefon
step-deviceActivation-does =
    In der App die Geräteaktivierung starten und auf die SMS an die vertrauenswürdige Nummer warten.
    Den SMS-Code eingeben, wenn die App danach fragt (im Code-Feld, nicht im PIN-Feld).
    Den vorhandenen PIN-Code eingeben oder einen neuen anlegen, wenn die App es verlangt.
    Ist das Konto gesperrt (zu viele Geräte oder SMS-Aktivierungen), unbenutzte verbundene Geräte entfernen und neu beginnen.
    Ist der PIN-Code nach zu vielen Fehlversuchen gesperrt, ihn in der App zurücksetzen und erneut aktivieren.

step-mediumCarKey-title = CarKey-Prüfung
step-mediumCarKey-purpose = Beweist, dass der Kunde die Schlüssel des Fahrzeugs wirklich hat. Nur einmal nötig.
step-mediumCarKey-needs =
    Das Telefon, bereits per Bluetooth mit dem Fahrzeug gekoppelt
    Die Fahrzeugschlüssel, der Kunde sitzt im Fahrzeug
    Standort und Bluetooth in den Telefon-Einstellungen eingeschaltet
step-mediumCarKey-does =
    Sich mit Schlüssel und Telefon ins Fahrzeug setzen.
    Prüfen, dass Standort und Bluetooth an sind und das Telefon das Fahrzeug als gekoppelt zeigt.
    Die CarKey-Prüfung in der App starten und den Hinweisen zum Schlüssel folgen.
    Im Fahrzeug bleiben, bis die App den Erfolg meldet.

step-generic-purpose = stepwise kennt diesen Schritt nicht und hat keine eingebaute Anleitung dafür.
step-generic-needs =
    Das Telefon des Kunden mit geöffneter, angemeldeter App
    Alles, was die App auf dem Bildschirm verlangt (Codes, PIN, Schlüssel, Zugang zum Fahrzeug)
step-generic-does =
    Den Kunden bitten, die App zu öffnen und ihren Hinweisen für diesen Schritt zu folgen.
    Den Namen des Schritts und jeden angezeigten Fehlercode notieren.
    Den Schritt in der Herstellerdokumentation oder der Händlerhilfe nachschlagen.
    Die Liste hier aktualisieren, sobald der Kunde fertig ist.

## App error codes

code-2000-meaning = Allgemeiner Fehler
code-2000-remedy = Den Kunden erneut versuchen lassen; scheitert es weiter, Code notieren und melden.
code-2201-meaning = Zeitüberschreitung der Anfrage
code-2201-remedy = Erneut versuchen und prüfen, ob das Telefon guten Mobilfunk- oder WLAN-Empfang hat.
code-2202-meaning = Keine Internetverbindung
code-2202-remedy = Mobile Daten oder WLAN des Telefons prüfen, dann erneut versuchen.
code-2204-meaning = Serverfehler
code-2204-remedy = Etwas warten und später erneut versuchen; melden, wenn es wiederkehrt.
code-2301-meaning = Einfache Authentifizierung nötig
code-2301-remedy = Der Kunde meldet sich in der App ab und wieder an, dann erneut versuchen.
code-2302-meaning = Starke Authentifizierung nötig
code-2302-remedy = Der Kunde bestätigt in der App mit seinem PIN-Code (OTP mit PIN), dann erneut versuchen.
code-2305-meaning = Der SMS-Code ist ungültig
code-2305-remedy = Einen neuen Code von der App senden lassen und sorgfältig ins Code-Feld tippen.
code-2306-meaning = Der SMS-Code ist abgelaufen
code-2306-remedy = Einen neuen Code von der App senden lassen und zügig eingeben.
code-2307-meaning = Das Konto hat keine Telefonnummer
code-2307-remedy = Zuerst eine vertrauenswürdige Telefonnummer registrieren (Schritt trusterPhoneNumber).
code-2308-meaning = Der Authentifizierungsdienst verweigerte den Zugang
code-2308-remedy = SMS-Code und PIN-Code prüfen, jeweils im richtigen Feld, dann erneut versuchen.
code-2310-meaning = Das Konto ist gesperrt
code-2310-remedy = Die verbundenen Geräte des Kontos entfernen (mindestens die unbenutzten) und dieses Telefon neu registrieren.
code-2311-meaning = Der Authentifizierungsstatus ist nicht korrekt
code-2311-remedy = Schritte-Cache zurücksetzen (Taste R im Assistenten oder `stepwise steps --car ID --reset`), dann das Gerät neu registrieren.
code-2312-meaning = Das Gerät ist deaktiviert oder unbekannt
code-2312-remedy = Schritte-Cache zurücksetzen (Taste R im Assistenten oder `stepwise steps --car ID --reset`), dann das Gerät erneut aktivieren.
code-2317-meaning = Vorgang mit dem PIN-Code nicht zulässig (Gerät aktiviert, gesperrt oder aktualisierbar)
code-2317-remedy = Schritte-Cache zurücksetzen (Taste R im Assistenten oder `stepwise steps --car ID --reset`), dann das Gerät erneut aktivieren. Bleibt es dabei, ist das Konto gesperrt: alle verbundenen Geräte entfernen und neu beginnen.
code-2323-meaning = Der Benutzer ist nicht der Halter dieses Fahrzeugs
code-2323-remedy = Prüfen, dass das Fahrzeug dem Konto des Kunden zugeordnet und die carAssociationID richtig ist.
code-2341-meaning = CarKey: Standort oder Bluetooth ist aus
code-2341-remedy = Standort und Bluetooth am Telefon einschalten, dann die CarKey-Prüfung wiederholen.
code-2342-meaning = CarKey: das Telefon ist nicht mit dem Fahrzeug gekoppelt
code-2342-remedy = Das Telefon per Bluetooth mit dem Fahrzeug koppeln, dann die CarKey-Prüfung wiederholen.
code-2346-meaning = Zu dieser stepsID gibt es keinen Schritt
code-2346-remedy = Mit der carAssociationID neu beginnen, um eine frische Schrittliste zu erhalten.
code-2354-meaning = CarKey: die Schlüsselposition ist ungültig
code-2354-remedy = Der Kunde setzt sich mit den Schlüsseln ins Fahrzeug und wiederholt die CarKey-Prüfung.
code-2355-meaning = CarKey: ungültige Signatur
code-2355-remedy = Die CarKey-Prüfung im Fahrzeug mit den Schlüsseln wiederholen; melden, wenn es weiter scheitert.
code-2356-meaning = CarKey: ungültiger Zeitstempel
code-2356-remedy = Prüfen, dass Datum und Uhrzeit des Telefons automatisch gestellt werden, dann die CarKey-Prüfung wiederholen.
code-2390-meaning = Die Telefonnummer ist bereits registriert
code-2390-remedy = Nichts zu beheben: mit dieser Nummer als vertrauenswürdiger weitermachen.

## Codes and strings the open clients show their users

client-maxnbtools-meaning = Konto gesperrt: Begrenzung der verbundenen Geräte/empfangenen SMS erreicht
client-maxnbtools-remedy = Unbenutzte Telefone und verbundene Geräte in der Fahrzeug-App entfernen (Stellantis-Konto zurücksetzen), dann erneut aktivieren. Bleibt es dabei, kann nur der Hersteller-Support das Konto zurücksetzen; das kann Tage dauern.
client-forbidden-meaning = Die OTP-Registrierung wurde abgelehnt (wie MAXNBTOOLS)
client-forbidden-remedy = Die Geräteaktivierung von vorn beginnen. Wird sie wieder abgelehnt, wie bei MAXNBTOOLS vorgehen: unbenutzte Geräte entfernen, Konto zurücksetzen.
client-access-meaning = SMS-Code oder PIN-Code ungültig
client-access-remedy = Erneut eingeben: den SMS-Code ins Code-Feld, den PIN-Code der App ins PIN-Feld.
client-blocked-meaning = Zu viele falsche PIN-Codes: der PIN-Code ist gesperrt
client-blocked-remedy = Den PIN-Code in der Fahrzeug-App zurücksetzen, dann das Gerät erneut aktivieren.
client-code-meaning = Vermutlich ein falscher PIN-Code der App (nicht sicher)
client-code-remedy = Mit dem richtigen PIN-Code der App erneut versuchen.
client-sn-meaning = Der SMS-Code wurde nicht angenommen (nicht sicher; gesehen, wenn etwas anderes getippt oder automatisch eingefügt wurde)
client-sn-remedy = Eine neue SMS anfordern und den Code von Hand tippen.
client-need-authorization-meaning = Die Anmeldung am Markenkonto braucht eine neue Autorisierung
client-need-authorization-remedy = Abwarten und später erneut versuchen (oft am nächsten Tag); in der Fahrzeug-App neu anmelden.
client-authentication-failed-meaning = E-Mail, Passwort oder Land des Markenkontos ist falsch
client-authentication-failed-remedy = E-Mail, Passwort oder Land korrigieren, dann neu anmelden.
client-invalid-grant-meaning = Das Anmelde-Token ist abgelaufen oder wurde widerrufen
client-invalid-grant-remedy = Erneut anmelden.
client-40400-meaning = Kein Fahrzeugstatus für dieses Fahrzeug gefunden
client-40400-remedy = Prüfen, dass das Fahrzeug im Konto des Kunden ist; bleibt es dabei, das Fahrzeug entfernen und neu hinzufügen.
client-50000-meaning = Das Konnektivitätsmodul des Fahrzeugs wurde (nach einer Reparatur) getauscht und passt nicht mehr zum Server
client-50000-remedy = Neu anmelden; bleibt es dabei, muss der Händler das neue Modul registrieren.
client-50038-meaning = Vorübergehender Fehler beim Hersteller
client-50038-remedy = Später erneut versuchen.
client-no-matching-service-key-meaning = Dieser Befehl gehört nicht zum gebuchten Dienst
client-no-matching-service-key-remedy = Nutzen, was das Abo bietet (Türen, Hupe und Licht brauchen eine höhere Dienststufe).
client-422-meaning = Fernbedienungsfunktion abgelehnt: der Privatsphäre-Modus des Fahrzeugs ist an
client-422-remedy = Den Privatsphäre-Modus im Fahrzeug ausschalten, dann erneut versuchen.
client-901-meaning = Fernbedienungsfunktion abgelehnt: das Fahrzeug ist im Ruhezustand
client-901-remedy = Das Fahrzeug aufwecken und erneut versuchen.

## Limits that bite

limit-sms-activations = Etwa 20 SMS-Aktivierungen sperren das Konto (bei einem Nutzer schon etwa 10): nach zwei Fehlschlägen den Code erklären und aufhören.
limit-otp-codes = Quelloffene Client-Apps (nicht der Kunde) erlauben sich 6 OTP-Codes pro 24 h; der Server setzt diese Grenze vermutlich durch.
limit-wake-ups = Diese Client-Apps erlauben sich 6 Weckvorgänge pro 20 Minuten.

## Signing in

banner-sign-in-text = Das Gateway hat das Token abgelehnt (HTTP 401). i drücken, um sich hier anzumelden.
banner-sign-in-kept-fixed-text = Das Gateway hat das mit `stepwise login --with-token` gespeicherte Token abgelehnt (HTTP 401). Den Betreiber des Gateways nach dem aktuellen Token fragen, es mit `stepwise login --with-token` speichern und neu starten; oder i drücken, um sich hier anzumelden, falls es eine Anmeldung anbietet (sonst sagt i es).
banner-sign-in-given-text = Das Gateway lehnte das Token aus { $from } ab (HTTP 401). Dort sein aktuelles Token angeben und neu starten; oder i drücken, um sich hier anzumelden, falls das Gateway eine Anmeldung bietet (sonst sagt i es).
banner-simulated = Kunde simuliert
banner-simulated-text = Der simulierte Kunde hat { $title } erledigt; die Liste wird beim Gateway abgefragt.
banner-simulate-demo-only = s spielt den Kunden nur im Demo-Backend
banner-simulate-demo-only-text = Hier handelt der Kunde am Telefon. Bei `stepwise serve` wird ein Schritt so erledigt: curl -X POST { $url }
banner-simulate-demo-only-token-text = Hier handelt der Kunde am Telefon. Bei `stepwise serve` wird ein Schritt so erledigt: curl -X POST -H "Authorization: Bearer TOKEN" { $url } (TOKEN: das Token, das dieser Assistent sendet)
banner-simulate-demo-only-fixed-text = Hier handelt der Kunde am Telefon. Bei `stepwise serve` wird ein Schritt so erledigt: curl -X POST -H "Authorization: Bearer TOKEN" { $url } (TOKEN: das Token des Gateways, das Sie mit `stepwise login --with-token` gespeichert haben)
banner-simulate-demo-only-login-text = Hier handelt der Kunde am Telefon. Bei `stepwise serve` wird ein Schritt so erledigt: curl -X POST -H "Authorization: Bearer TOKEN" { $url } (TOKEN: eines, das das Gateway annimmt. Das dieses Assistenten stammt aus einer Anmeldung und wird nie gezeigt: `stepwise serve --auth` zusätzlich mit `--token T` starten und T senden)
banner-sign-in-none-text = Das Gateway verlangt ein Token, und es wurde keines gesendet (HTTP 401). i drücken, um sich hier anzumelden, falls es eine Anmeldung anbietet (sonst sagt i es).
banner-sign-in-login-unreadable-text = Das Gateway verlangt ein Token, und es wurde keines gesendet (HTTP 401): die von `stepwise login` gespeicherten Anmeldungen waren nicht lesbar: { $why }. Beenden, das beheben und neu starten, oder mit --token-file PFAD starten.
banner-sign-in-again-text = { $why }: die Anmeldung ist abgelaufen. i drücken, um sich erneut anzumelden.
banner-signed-in = Angemeldet
banner-signed-in-watch-resumed = Das Beobachten, das das abgelehnte Token gestoppt hatte, geht weiter.
banner-signed-in-text = Das Token wird in { $place } aufbewahrt; die Schritte werden damit erneut abgefragt.
banner-signed-in-given = Dieser Lauf verwendet es; der nächste nimmt wieder das Token aus { $from }, das Vorrang vor der hinterlegten Anmeldung hat: ihn ohne { $from } starten.
banner-sign-in-failed = Anmeldung fehlgeschlagen
report-sign-in-cancelled = abgebrochen, bevor die Bestätigung kam (Esc, oder der Assistent endete): kein Token wurde gespeichert
banner-sign-in-no-help = Keine Anmeldung gestartet
banner-sign-in-no-help-text = eine neue Anmeldung mit diesen Einstellungen bekäme dieselbe Antwort. { $why }
banner-sign-in-failed-text = { $why }. i drücken, um es erneut zu versuchen.
banner-sign-in-failed-fix-text = { $why }. Erneutes Drücken von i scheitert genauso, bis das geändert ist.
banner-sign-in-settings-text = { $why }. Ein laufender Assistent liest seine Anmeldeeinstellungen beim Start und nimmt kein --client-id oder --scope: sie in der Konfigurationsdatei ändern (`client_id`, `scopes`), dann beenden (q) und neu starten.
banner-sign-in-wait-text = Der Identitätsanbieter gibt derzeit keinen Code ({ $said }) und bittet, { $wait } zu warten. Nach dieser Wartezeit i drücken.
banner-sign-in-expired-text = Der Code ist abgelaufen, bevor er bestätigt wurde. i drücken für einen neuen Code, und ihn früher bestätigen.
banner-sign-in-denied-text = Die Anmeldung wurde für die Scopes { $scopes } abgelehnt (access_denied). Wurde sie im Browser abgelehnt, i drücken, um sich erneut anzumelden. Sonst verlangt der Anbieter andere Scopes: beim Betreiber erfragen, dann beenden, sie als `scopes` in der Konfigurationsdatei eintragen und neu starten.
banner-sign-in-stopped-text = Der Identitätsanbieter hat die Anmeldung beendet ({ $said }). i drücken, um eine neue zu beginnen.
banner-sign-in-not-offered-text = Das Gateway unter { $gateway } bietet keine Anmeldung an: es nimmt ein festes Token. Beenden, das Token mit `stepwise login --with-token` hinterlegen (oder mit --token-file DATEI oder STEPWISE_TOKEN angeben) und neu starten: ein laufender Assistent liest ein inzwischen hinterlegtes Token nicht.
banner-sign-in-not-needed-text = Das Gateway unter { $gateway } bietet keine Anmeldung an, und es hat ohne Token geantwortet: es braucht hier keines, es gibt also nichts, wobei man sich anmelden müsste.
banner-sign-in-discovery-refused-text = Das Gateway unter { $gateway } hat die Anfrage nach seinen Anmelde-Metadaten abgelehnt (HTTP 403): es veröffentlicht keine für diesen Client, oder eine Firewall davor sperrt diesen Pfad. Den Betreiber des Gateways um ein Token bitten; dann beenden, es mit `stepwise login --with-token` hinterlegen (oder mit --token-file DATEI oder STEPWISE_TOKEN angeben) und neu starten.
banner-sign-in-not-offered-given-text = Das Gateway unter { $gateway } bietet keine Anmeldung: es nimmt ein festes Token und hat das aus { $from } abgelehnt. Beenden, dort sein aktuelles Token angeben und neu starten (ein mit `stepwise login --with-token` hinterlegtes Token wird nicht benutzt, solange eines aus { $from } kommt).
help-section-sign-in = Anmelden
key-short-sign-in = anmelden
key-help-sign-in = beim Gateway anmelden (nach einem abgelehnten Token), ohne dieses Fahrzeug zu verlassen
key-help-open-sign-in-page = die Anmeldeadresse in einem Browser öffnen
key-help-cancel-sign-in = Anmeldung abbrechen (nichts wird aufbewahrt)
gw-title-sign-in-again = Erneut anmelden
gw-title-client-refused = Client-ID abgelehnt
gw-title-tokens-not-taken = Tokens nicht angenommen
gw-title-sign-in-failed = Anmeldung fehlgeschlagen
gw-title-renewal-failed = Token-Erneuerung fehlgeschlagen
auth-denied = die Anmeldung wurde für die Scopes { $scopes } abgelehnt (access_denied). Hat niemand im Browser abgelehnt, verlangt der Anbieter andere Scopes: beim Betreiber erfragen, mit --scope oder `scopes` in der Konfigurationsdatei setzen und `stepwise login` erneut ausführen
auth-denied-said = die Anmeldung wurde für die Scopes { $scopes } abgewiesen (access_denied), und der Identitätsanbieter sagt warum: { $said }. Nennt das das Konto (eine Gruppe, eine Rolle), den Administrator des Anbieters bitten, ihm die Anmeldung bei stepwise zu erlauben; nennt es Scopes, sie mit --scope oder `scopes` in der Konfigurationsdatei setzen und `stepwise login` erneut ausführen
auth-expired = der Code ist abgelaufen, bevor er bestätigt wurde. `stepwise login` erneut ausführen und früher bestätigen
auth-sign-in-again = { $why }. `stepwise login` ausführen, um sich erneut anzumelden
auth-client-refused-then = { $why }; dann damit anmelden: `stepwise login --client-id ID`
auth-refused-fresh-then = { $why }; dann damit anmelden: `stepwise login --audience URI`
auth-unreachable = der Identitätsanbieter unter { $url } ist nicht erreichbar: { $detail }. Das Netzwerk prüfen, dann erneut versuchen; bleibt es so, die Adresse des Ausstellers prüfen (--issuer, STEPWISE_ISSUER oder `issuer` in der Konfigurationsdatei), falls einer gesetzt ist, sonst den Betreiber des Gateways informieren (seine Anmelde-Metadaten nennen diesen Anbieter)
auth-proxy-407 = der Proxy { $proxy } (aus { $from }) hat den Anmeldeaufruf an { $url } selbst mit 407 beantwortet: der Identitätsanbieter wurde nicht gefragt. Der Proxy verlangt Benutzername und Passwort: diese in die Proxy-Variable eintragen (http://benutzer:passwort@proxy:port), oder NO_PROXY={ $host } setzen, wenn der Anbieter ohne den Proxy erreichbar ist
auth-proxy-407-refused = der Proxy { $proxy } (aus { $from }) lehnte Benutzername und Passwort seiner Variable für den Anmeldeaufruf an { $url } ab (407): der Identitätsanbieter wurde nicht gefragt. Benutzername und Passwort in der Proxy-Variable prüfen, oder NO_PROXY={ $host } setzen, wenn der Anbieter ohne den Proxy erreichbar ist
auth-proxy-401-basic = der Proxy { $proxy } (aus { $from }) beantwortete den Anmeldeaufruf an { $url } selbst mit HTTP 401 und einer Anmeldung (Basic): der Identitätsanbieter wurde nicht gefragt. Ein Proxy, der so fragt (tinyproxy tut es), nimmt Benutzername und Passwort aus der Proxy-Variable (http://benutzer:passwort@proxy:port); oder setzen Sie NO_PROXY={ $host }, wenn der Anbieter ohne den Proxy erreichbar ist
auth-proxy-401-basic-refused = der Proxy { $proxy } (aus { $from }) beantwortete den Anmeldeaufruf an { $url } selbst mit HTTP 401 und einer Anmeldung (Basic), obwohl die Proxy-Variable Benutzername und Passwort enthält: er hat sie abgelehnt, und der Identitätsanbieter wurde nicht gefragt. Prüfen Sie sie in der Proxy-Variable (Zeichen wie @ oder : prozentkodiert) oder setzen Sie NO_PROXY={ $host }, wenn der Anbieter ohne den Proxy erreichbar ist
auth-proxy-windows = der Proxy { $proxy } (aus { $from }) hat den Anmeldeaufruf an { $url } selbst mit 407 beantwortet und verlangt eine Windows-Anmeldung (Negotiate oder NTLM), die stepwise nicht leisten kann: der Identitätsanbieter wurde nicht gefragt, und kein Benutzername und Passwort in der Proxy-Variable beantwortet sie. Den Betreiber des Proxys bitten, { $host } ohne sie durchzulassen, oder NO_PROXY={ $host } setzen, wenn der Anbieter ohne den Proxy erreichbar ist
auth-proxy-answered = der Anmeldeaufruf an { $url } ging über den Proxy { $proxy } (aus { $from }) und kam mit HTTP { $status }{ $said } zurück, ohne eine Antwort des Identitätsanbieters: der Proxy oder etwas vor dem Anbieter hat selbst geantwortet. Den Betreiber des Proxys fragen, ob er { $host } durchlässt, oder NO_PROXY={ $host } setzen, wenn der Anbieter ohne den Proxy erreichbar ist (einer auf diesem Rechner ist es immer)
auth-proxy-429 = der Anmeldeaufruf an { $url } lief über den Proxy { $proxy } (aus { $from }), der selbst mit HTTP 429{ $said } antwortete: der Proxy begrenzt die Anfragen. Eine Minute warten, dann erneut versuchen; bleibt es so, den Betreiber des Proxys fragen oder NO_PROXY={ $host } setzen, wenn der Anbieter ohne den Proxy erreichbar ist
auth-proxy-429-wait = der Anmeldeaufruf an { $url } ging über den Proxy { $proxy } (aus { $from }), der selbst mit HTTP 429{ $said } antwortete: der Proxy begrenzt Anfragen und bittet, { $secs } s zu warten. Danach erneut versuchen; hält es an, den Betreiber des Proxys fragen oder NO_PROXY={ $host } setzen, wenn der Anbieter ohne den Proxy erreichbar ist
auth-proxy-5xx = der Anmeldeaufruf an { $url } ging über den Proxy { $proxy } (aus { $from }), der selbst HTTP { $status }{ $said } antwortete: Er ließ den Aufruf durch und bekam keine Antwort von { $host } (ausgefallen oder für den Proxy nicht erreichbar). Später erneut versuchen; hält es an, beim Betreiber von { $host } oder des Proxys nachfragen, oder NO_PROXY={ $host } setzen, wenn { $host } ohne den Proxy erreichbar ist
auth-proxy-5xx-loopback = der Anmeldeaufruf an { $url } lief über den Proxy { $proxy } (aus { $from }), der selbst HTTP { $status }{ $said } antwortete: der Identitätsanbieter { $host } ist auf diesem Rechner, den ein Proxy anderswo nicht erreicht, ein erneuter Versuch bringt also dasselbe. NO_PROXY={ $host } setzen (ein Anbieter auf diesem Rechner ist ohne den Proxy immer erreichbar)
auth-proxy-closed = der Proxy { $proxy } (aus { $from }) hat den Anmeldeaufruf an { $url } ohne Antwort geschlossen: ob der Identitätsanbieter gefragt wurde, ist unbekannt. Erneut versuchen; hält es an, den Betreiber des Proxys fragen, oder NO_PROXY={ $host } setzen, wenn der Anbieter ohne den Proxy erreichbar ist
auth-proxy-unreachable = keine Verbindung zum Proxy { $proxy } (aus { $from }) für den Anmeldeaufruf an { $url }: unter der Adresse des Proxys antwortet nichts, also wurde nichts gefragt. Die Proxy-Variable prüfen (Host und Port), oder NO_PROXY={ $host } setzen, wenn die Adresse ohne den Proxy erreichbar ist
auth-proxy-silent = keine rechtzeitige Antwort auf den Anmeldeaufruf an { $url } über den Proxy { $proxy } (aus { $from }): der Proxy oder der Identitätsanbieter dahinter schweigt. Später erneut versuchen; hält es an, den Betreiber des Proxys fragen, oder NO_PROXY={ $host } setzen, wenn der Anbieter ohne den Proxy erreichbar ist
auth-proxy-garbled = was über den Proxy { $proxy } (aus { $from }) für den Anmeldeaufruf an { $url } zurückkam, ist kein gültiges HTTP: der Proxy ist defekt, oder seine Variable nennt etwas, das kein HTTP-Proxy ist. Die Proxy-Variable prüfen, den Betreiber des Proxys fragen, oder NO_PROXY={ $host } setzen, wenn der Anbieter ohne den Proxy erreichbar ist
auth-proxy-tunnel = der Proxy { $proxy } (aus { $from }) öffnete keinen Tunnel (CONNECT) zu { $host } für den Anmeldeaufruf an { $url }: dort wurde nichts gefragt. Den Betreiber des Proxys fragen, ob er { $host } durchlässt, oder NO_PROXY={ $host } setzen, wenn es ohne den Proxy erreichbar ist
auth-fronted = der Anmeldeaufruf an { $url } wurde mit HTTP { $status }{ $said } und einer Seite abgelehnt, nicht mit der Antwort des Identitätsanbieters (seine Fehler sind JSON): etwas vor dem Anbieter (eine Firewall, eine Web Application Firewall oder ein Reverse-Proxy bzw. dessen Anmeldung) hat ihn abgelehnt. Erneutes Versuchen oder Anmelden bringt dasselbe: den Betreiber des Netzes oder des Identitätsanbieters fragen, ob er diesen Aufruf durchlässt
auth-no-endpoint = der Anmeldeaufruf an { $url } wurde mit HTTP { $status } ohne OAuth-Fehler beantwortet: dort antwortet kein Endpunkt (ein API-Gateway vor dem Identitätsanbieter antwortet so für eine Route, die es nicht hat, oder der Anbieter hat ihn verlegt). Dem Betreiber des Identitätsanbieters oder des Gateways Bescheid geben; erneutes Versuchen bringt dasselbe, und eine neue Anmeldung hilft nur, wenn die Metadaten des Anbieters jetzt eine andere Adresse nennen
auth-fronted-gone = der Anmeldeaufruf an { $url } wurde mit HTTP { $status }{ $said } und einer Seite beantwortet, nicht mit der Antwort des Identitätsanbieters (seine Fehler sind JSON): nichts bedient diese Adresse, oder etwas vor dem Anbieter antwortet für sie. Die Metadaten des Identitätsanbieters nennen sie weiterhin, also bringt erneutes Versuchen oder Anmelden dasselbe: dem Betreiber des Identitätsanbieters oder des Gateways Bescheid geben
auth-fronted-page = der Anmeldeaufruf an { $url } wurde mit HTTP { $status }{ $said } und einer Webseite beantwortet, nicht mit dem JSON des Identitätsanbieters: etwas vor dem Anbieter (ein Portal, ein Reverse-Proxy oder dessen Anmeldeseite) hat an seiner Stelle geantwortet. Den Betreiber des Netzes oder des Identitätsanbieters fragen, ob er diesen Aufruf durchlässt
auth-no-answer = der Identitätsanbieter unter { $url } hat die Verbindung angenommen, aber nicht rechtzeitig geantwortet: er ist ausgelastet oder hängt. Später erneut versuchen; bleibt es so, dessen Betreiber informieren
auth-not-tls = der Identitätsanbieter unter { $url } spricht kein TLS: den Port in der Adresse des Ausstellers prüfen (--issuer, STEPWISE_ISSUER oder `issuer` in der Konfigurationsdatei), oder dort http:// verwenden, wenn der Anbieter kein TLS hat
auth-tls-unknown-issuer = der Identitätsanbieter unter { $url } legte ein Zertifikat eines unbekannten Ausstellers vor (eine private Stelle oder ein Proxy, der TLS prüft). Seiner Stelle mit --ca-file DATEI vertrauen (ihr Zertifikat, PEM), das der Betreiber des Anbieters gibt; ist --issuer (oder `issuer` in der Konfigurationsdatei) falsch, korrigieren
auth-tls-wrong-host = das Zertifikat des Identitätsanbieters unter { $url } ist nicht für seinen Host ausgestellt. --issuer (oder `issuer` in der Konfigurationsdatei) prüfen; stimmt es, den Betreiber des Anbieters informieren
auth-tls-dates = das Zertifikat des Identitätsanbieters unter { $url } ist abgelaufen oder noch nicht gültig. Datum und Uhrzeit dieses Rechners prüfen; stimmen sie, den Betreiber des Anbieters informieren
auth-tls-other = die TLS-Verbindung zum Identitätsanbieter unter { $url } schlug fehl ({ $code }). --issuer (oder `issuer` in der Konfigurationsdatei) prüfen; stimmt es, den Betreiber des Anbieters informieren
auth-tls-old-version = der Identitätsanbieter unter { $url } legte ein X.509-Zertifikat der Version 1 vor, das TLS nicht mehr annimmt. Kein --issuer oder --ca-file kann das beheben: den Betreiber des Anbieters bitten, es als Version 3 neu auszustellen, mit seinem Hostnamen als alternativem Subjektnamen
auth-tls-no-host-names = das Zertifikat des Identitätsanbieters unter { $url } nennt keinen Host (kein alternativer Subjektname; ein Common Name allein wird von TLS nicht mehr gelesen). Kein --issuer oder --ca-file kann das beheben: den Betreiber des Anbieters bitten, es mit seinem Hostnamen als alternativem Subjektnamen neu auszustellen
auth-answered-badly = die Adresse des Identitätsanbieters { $url } wurde erreicht, aber { $detail }. Die Adresse des Ausstellers prüfen (--issuer, STEPWISE_ISSUER oder `issuer` in der Konfigurationsdatei), falls einer gesetzt ist, sonst den Betreiber des Gateways informieren
auth-closed = die Adresse des Identitätsanbieters { $url } hat den Aufruf angenommen und die Verbindung ohne Antwort geschlossen: der Anbieter startet vielleicht neu oder ist überlastet, oder etwas dazwischen hat sie getrennt. Erneut versuchen; bleibt es so, die Adresse des Ausstellers prüfen (--issuer, STEPWISE_ISSUER oder `issuer` in der Konfigurationsdatei), falls angegeben, sonst dem Betreiber des Gateways Bescheid geben
login-title = Anmelden bei { $gateway }
login-open = { $address } öffnen und diesen Code eingeben:
login-scan = Oder diesen QR-Code mit einem Telefon scannen:
login-qr-no-room = (Ein größeres Fenster zeigt einen QR-Code der Adresse.)
login-press-enter = Enter drücken, um die Adresse im Browser zu öffnen.
login-waiting = Warte auf die Bestätigung (der Code läuft in { $left } ab; Strg-C bricht ab)…
err-login-output-closed = der Anmeldecode konnte nicht angezeigt werden: die Standardausgabe ist geschlossen oder wird verworfen (eine Pipe, die nicht mehr liest, etwa `| head -1`, ein geschlossener Deskriptor oder /dev/null), also kann ihn niemand bestätigen. Nichts wurde gespeichert; `stepwise login` erneut mit der Ausgabe auf einem Terminal oder in einer Datei ausführen
err-login-output-unwritable = der Anmeldecode konnte nicht angezeigt werden: die Standardausgabe ließ sich nicht schreiben ({ $why }), also kann ihn niemand bestätigen. Nichts wurde gespeichert; `stepwise login` erneut mit der Ausgabe auf einem Terminal oder in einer beschreibbaren Datei ausführen
login-poll-limited = Der Identitätsanbieter bittet zu warten (HTTP 429, zu viele Anfragen): die Bestätigung wird in { $secs } s erneut geprüft. Der Code bleibt so lange gültig.
login-browser-opened = Adresse an den Browser übergeben (zeigt kein Browser sie an, die Adresse oben selbst öffnen).
login-browser-failed = Kein Browser lässt sich öffnen ({ $why }); die Adresse von Hand öffnen.
login-signed-in = Angemeldet bei { $gateway }.
login-token-expired-kept = Hinweis: laut dem darin geschriebenen Ablauf ist dieses Token am { $time } abgelaufen; das Gateway hat es jetzt angenommen, kann es aber jederzeit ablehnen. Nach seinem aktuellen Token fragen
login-token-untried-why = Token für { $gateway } hinterlegt, aber nicht ausprobiert: { $why }. Ist diese Adresse falsch, --api (oder `api` in der Konfigurationsdatei) korrigieren und das Token erneut hinterlegen; sonst zeigt der nächste Aufruf, ob das Gateway es annimmt (`stepwise steps --car ID`).
login-token-untried-silent = Token für { $gateway } hinterlegt, aber nicht ausprobiert: Das Gateway nahm die Verbindung an und antwortete nicht innerhalb von { $secs } s (ausgelastet oder hängt). Prüfen, ob es läuft und antwortet; beim nächsten Aufruf zeigt das Gateway, ob es das Token annimmt (`stepwise steps --car ID`).
login-token-untried-proxy = Token für { $gateway } gespeichert, aber nicht ausprobiert: { $why }. Sobald der Proxy die Anfrage durchlässt (oder NO_PROXY ihn umgeht), sagt das Gateway beim nächsten Aufruf, ob es das Token annimmt (`stepwise steps --car ID`).
login-token-unjudged = Token für { $gateway } hinterlegt, aber die Antwort sagt nicht, ob das Gateway es annimmt: { $why }. Das zeigt der nächste Aufruf (`stepwise steps --car ID`).
err-login-not-a-gateway = Token nicht gespeichert: { $why }
err-signin-not-a-gateway = Nicht angemeldet: diese Adresse veröffentlicht keine Anmeldung, und ihr Schritte-Aufruf zeigt warum: { $why }
login-token-taken = Token für { $gateway } hinterlegt: das Gateway hat es angenommen.
login-token-not-checked = Token für { $gateway } gespeichert, aber das Gateway hat auch ohne Token geantwortet: Es braucht hier keines, daher lässt sich nicht sagen, ob es dieses annimmt. Es wird trotzdem bei jedem Aufruf mitgesendet; `stepwise logout` vergisst es.
login-expires = Das Token läuft um { $time } ab; es wird vorher erneuert.
login-kept = Das Token wird in { $place } aufbewahrt.
login-environment-wins = Hinweis: STEPWISE_TOKEN ist hier gesetzt, und sein Token hat in jedem Befehl Vorrang vor dieser Anmeldung. Heben Sie STEPWISE_TOKEN auf, um die Anmeldung zu verwenden.
login-file-notice = Hinweis: Auf diesem Rechner hat kein Schlüsselbund geantwortet, daher wird das Token in einer Datei aufbewahrt, die nur Sie lesen können (Modus 0600). `stepwise logout` entfernt sie.
login-file-notice-windows = Hinweis: Auf diesem Rechner hat kein Schlüsselbund geantwortet, daher wird das Token in einer Datei in Ihrem eigenen Ordner %LOCALAPPDATA% aufbewahrt, die Windows nur Ihnen (und den Administratoren des PCs) zu lesen erlaubt. `stepwise logout` entfernt sie.
login-file-chosen = Hinweis: Das Token wird in der Datei aufbewahrt, nicht in einem Schlüsselbund, weil STEPWISE_TOKEN_STORE=file das verlangt. `stepwise logout` entfernt es.
login-keyring-too-small = Hinweis: Das Token ist zu lang für { $name } (höchstens { $max } Bytes pro Eintrag), daher wird es stattdessen in einer Datei aufbewahrt, die nur Sie lesen können. `stepwise logout` entfernt sie.
login-paste = Das Token für { $gateway } einfügen und Enter drücken (es wird nicht angezeigt; Esc oder Strg-C bricht ab):
place-keyring = dem Schlüsselbund ({ $name })
place-file = der Datei { $path }
logout-none = Für { $gateway } ist keine Anmeldung aufbewahrt; nichts zu entfernen.
logout-done = Abgemeldet von { $gateway }: das Token wurde aus { $place } entfernt.
logout-still-given = Ein Token aus { $from } ist weiterhin angegeben und wird weiterhin verwendet.
token-from-token-file = --token-file
token-from-environment = STEPWISE_TOKEN
token-from-login = der aufbewahrten Anmeldung
token-from-config = der Konfigurationsdatei
status-gateway = Gateway:     { $gateway }
status-login-kept = Anmeldung:   aufbewahrt in { $place }
status-login-file-private = (nur für Sie lesbar)
status-login-file-open = (für andere Benutzer dieses Rechners lesbar: Modus { $mode }; `chmod 600 { $path }` ausführen)
status-login-none = Anmeldung:   keine aufbewahrt (`stepwise login` meldet an, wo das Gateway Anmeldung anbietet; `stepwise login --with-token` bewahrt ein festes Token auf)
status-login-kept-unused = Anmeldung:   aufbewahrt in { $place }, nicht in Gebrauch: das Token aus { $from } hat Vorrang
duration-days = { $n } Tg.
duration-hours = { $n } h
duration-minutes = { $n } min
duration-seconds = { $n } s
status-expires = Ablauf:      { $time } (in { $left })
status-expires-renewed = Ablauf:      { $time } (in { $left }; eben erneuert)
status-expired-refreshable = Ablauf:      abgelaufen um { $time }; beim nächsten Gebrauch wird ein neues Token geholt
status-renewal-failed = Erneuerung: eben versucht und gescheitert: { $why }
status-expired = Ablauf:      abgelaufen um { $time }
status-expires-ended = Ablauf:      { $time } (nicht mehr nutzbar: der Identitätsanbieter hat die Anmeldung beendet)
status-expires-unknown = Ablauf:      unbekannt (ein von Hand angegebenes Token)
status-expires-unknown-provider = Ablauf:      unbekannt (der Identitätsanbieter gab keinen brauchbaren Ablauf an)
status-refresh-auto = Erneuerung:  automatisch, vor dem Ablauf
status-refresh-ended = Erneuerung:  keine: der Identitätsanbieter hat die Anmeldung eben beendet (die Zeile Erneuerung oben sagt, wie). `stepwise login` ausführen
status-refresh-failing = Erneuerung:  automatisch, aber die Erneuerung eben schlug fehl (die Zeile Erneuerung oben sagt, warum); die nächste Verwendung fragt erneut
status-refresh-none = Erneuerung:  nicht möglich; erneut anmelden, wenn es nicht mehr funktioniert
status-refresh-fixed = Erneuerung:  nicht möglich (ein von Hand angegebenes Token); wenn es nicht mehr funktioniert, das aktuelle Token des Gateways mit `stepwise login --with-token` hinterlegen
status-in-use-login = In Gebrauch: die aufbewahrte Anmeldung
status-in-use-dropped = In Gebrauch: das Token aus { $from }, aber es hat das Gateway nicht erreicht: { $why }
status-in-use-login-refused = In Gebrauch: die aufbewahrte Anmeldung, aber das Gateway hat ihr Token eben abgelehnt (HTTP 401): der nächste Aufruf erneuert es einmal; lehnt das Gateway auch das ab, mit `stepwise login` neu anmelden
status-in-use-login-refused-fresh = In Gebrauch: die aufbewahrte Anmeldung, aber das Gateway hat ihr Token eben abgelehnt (HTTP 401), und das sofort erneuerte ebenso: { $why }
status-in-use-login-refused-fixed = In Gebrauch: die aufbewahrte Anmeldung, aber das Gateway hat ihr Token eben abgelehnt (HTTP 401): mit `stepwise login` anmelden, wo das Gateway eine Anmeldung anbietet; sonst beim Betreiber das aktuelle Token erfragen und mit `stepwise login --with-token` hinterlegen
status-in-use-spent = In Gebrauch: nichts Brauchbares: die aufbewahrte Anmeldung ist abgelaufen. `stepwise login` ausführen
status-in-use-renewing = In Gebrauch: die aufbewahrte Anmeldung, sobald der Identitätsanbieter ihr Token erneuert: die Erneuerung ist vorerst fehlgeschlagen (die Zeile Erneuerung sagt warum); eine neue Anmeldung träfe denselben Anbieter
status-in-use-spent-fixed = In Gebrauch: nichts Brauchbares: das von Hand hinterlegte Token (login --with-token) ist abgelaufen. Das aktuelle Token des Gateways mit `stepwise login --with-token` hinterlegen
status-in-use-ended = In Gebrauch: nichts Brauchbares: der Identitätsanbieter hat die aufbewahrte Anmeldung beendet. `stepwise login` ausführen
status-in-use-client = In Gebrauch: nichts Brauchbares: Der Identitätsanbieter nimmt die Client-ID der gespeicherten Anmeldung nicht an. Mit der ID anmelden, die er kennt: `stepwise login --client-id ID`
status-in-use-other = In Gebrauch: ein Token aus { $from } (hat Vorrang vor einer aufbewahrten Anmeldung)
status-in-use-not-tried = nicht geprüft: das Gateway ließ sich nicht fragen, ob es es annimmt: { $why }
status-in-use-other-expired = In Gebrauch: ein Token aus { $from } (es hat Vorrang vor einer hinterlegten Anmeldung), aber es ist am { $time } abgelaufen, laut dem darin geschriebenen Ablauf: dort ein aktuelles einsetzen oder es entfernen, um eine hinterlegte Anmeldung zu nutzen
status-in-use-other-refused = In Gebrauch: ein Token aus { $from } (es hat Vorrang vor einer hinterlegten Anmeldung), aber das Gateway hat es eben abgewiesen (HTTP { $status }): dort das aktuelle Token des Gateways einsetzen oder es entfernen, um eine hinterlegte Anmeldung zu nutzen
status-in-use-other-scope = In Gebrauch: ein Token aus { $from } (es hat Vorrang vor einer hinterlegten Anmeldung), aber das Gateway sagt, ihm fehle der Scope { $scope } (HTTP { $status }): bei dem, der die Tokens des Gateways ausgibt, eines mit diesem Scope erbitten
status-in-use-config = In Gebrauch: ein Token aus { $from } (eine hinterlegte Anmeldung aus `stepwise login` hätte Vorrang davor)
status-in-use-config-refused = In Gebrauch: ein Token aus { $from } (eine hinterlegte Anmeldung aus `stepwise login` hätte Vorrang davor), aber das Gateway hat es eben abgewiesen (HTTP { $status }): dort das aktuelle Token des Gateways einsetzen oder eines mit `stepwise login` (oder `stepwise login --with-token`) hinterlegen, das Vorrang davor hat
status-in-use-config-expired = In Gebrauch: ein Token aus { $from } (eine hinterlegte Anmeldung aus `stepwise login` hätte Vorrang davor), aber es ist am { $time } abgelaufen, laut dem darin geschriebenen Ablauf: dort ein aktuelles einsetzen oder eines mit `stepwise login` (oder `stepwise login --with-token`) hinterlegen, das Vorrang davor hat
status-in-use-config-scope = In Gebrauch: ein Token aus { $from } (eine hinterlegte Anmeldung aus `stepwise login` hätte Vorrang davor), aber das Gateway sagt, ihm fehle der Scope { $scope } (HTTP { $status }): bei dem, der die Tokens des Gateways ausgibt, eines mit diesem Scope erbitten
signin-asking = Frage nach einem Anmeldecode: das Gateway nennt seinen Identitätsanbieter, der den Code gibt…
signin-waiting = Warte auf die Bestätigung (der Code läuft in { $left } ab). Esc bricht ab; die Fahrzeugsitzung bleibt.
signin-no-browser = Hier kann kein Browser geöffnet werden (keine grafische Sitzung). Auf einem Telefon oder einem anderen Rechner die Adresse oben öffnen (oder ihren QR-Code scannen) und den Code eingeben.
signin-no-browser-no-qr = Hier kann kein Browser geöffnet werden (keine grafische Sitzung). Auf einem Telefon oder einem anderen Rechner die Adresse oben öffnen und den Code eingeben.
signin-no-browser-local = Hier kann kein Browser geöffnet werden (keine grafische Sitzung), und die Adresse oben gibt es nur auf diesem Rechner (Loopback), also kann auch ein anderes Gerät sie nicht öffnen. Esc bricht ab; dann ein Token mit `stepwise login --with-token` hinterlegen oder den Assistenten am Bildschirm dieses Rechners starten.
signin-browser-failed = Der Browser hat sich nicht geöffnet ({ $why }). Auf einem Telefon oder einem anderen Rechner die Adresse oben öffnen (oder ihren QR-Code scannen) und den Code eingeben.
signin-browser-failed-no-qr = Der Browser hat sich nicht geöffnet ({ $why }). Auf einem Telefon oder einem anderen Rechner die Adresse oben öffnen und den Code eingeben.
status-in-use-none = In Gebrauch: kein Token. `stepwise login` ausführen (`stepwise login --with-token`, wo das Gateway keine Anmeldung anbietet) oder eines mit --token-file oder STEPWISE_TOKEN angeben
status-in-use-none-fixed = In Gebrauch: kein Token, und das Gateway will eines. Es bietet keine Anmeldung: sein Token kommt von seinem Betreiber. Dieses Token mit `stepwise login --with-token` speichern, oder mit --token-file oder STEPWISE_TOKEN angeben
status-in-use-none-needed = In Gebrauch: kein Token, und keins nötig: das Gateway unter { $gateway } hat ohne Token geantwortet. `stepwise steps --car ID` so ausführen
status-in-use-none-unasked = In Gebrauch: kein Token; ob das Gateway unter { $gateway } eines verlangt, ließ sich nicht erfragen: { $why }. Sobald es antwortet, sagt `stepwise auth status`, ob es eines verlangt
status-unasked-no-client = der Aufruf ließ sich mit den angegebenen Netzwerkeinstellungen nicht machen (stepwise steps sagt welche)
status-login-trouble = Anmeldung:   { $why }
status-in-use-trouble = In Gebrauch: kein Token: die aufbewahrte Anmeldung ist nicht lesbar (siehe die Zeile darüber)

## Die Übersicht: viele Fahrzeuge auf einmal

board-title = { $count ->
    [one] Übersicht mit 1 Fahrzeug
   *[other] Übersicht mit { $count } Fahrzeugen
}
board-sorted-by = Sortierung: { $key }
board-sort-next = nächster Schritt
board-sort-progress = Fortschritt
board-sort-freshness = Aktualität
board-sort-id = ID
board-live-on-short = live AN
board-live-polling-short = live AN · Abfrage alle { $secs } s
board-live-off-short = live aus
board-summary-ready = { $n } bereit
board-summary-in-progress = { $n } in Arbeit
board-summary-failing = { $n } mit Fehler
board-summary-loading = { $n } noch ohne Antwort
limited-wait = HTTP 429: Anfragen warten noch { $secs } s
board-filter = Filter:
board-fresh-never = noch nicht
board-fresh-secs = vor { $n } s
board-fresh-mins = vor { $n } min
board-fresh-hours = vor { $n } h
board-empty = Noch kein Fahrzeug in der Übersicht: Taste „a“ fügt eines hinzu.
board-none-match = Kein Fahrzeug passt zum Filter. Esc leert ihn.
board-col-car = carAssociationID
board-col-car-short = ID
board-col-progress = Fortschritt
board-col-progress-short = Stand
board-col-next = nächster Schritt
board-col-fresh = Daten
board-col-error = Fehler
board-rows-window = { $from }–{ $to } von { $total }
board-n-of-m = { $done } von { $total }
board-ready = bereit
board-loading = frage an…
board-held = angehalten (HTTP 429)
board-retrying-was = neuer Versuch (vorher: { $was })
board-held-was = angehalten (vorher: { $was })
board-remove-ask = { $car } aus der Übersicht entfernen? „j“ entfernt es, „n“ behält es.
board-add-prompt = carAssociationID hinzufügen:
board-add-duplicate = { $car } ist schon in der Übersicht.
board-removed = { $car } entfernt
board-removed-text = Seine Anfragen wurden gestoppt; Taste „a“ fügt es wieder hinzu.
board-shared-steps-id = Eine stepsID ({ $id }) für { $count } Fahrzeuge
board-shared-steps-id-text = { $cars } bekamen Listen unter derselben stepsID, die zu einem Fahrzeug gehört: ein Proxy oder Cache zwischen hier und dem Gateway (einer, der die Query übergeht) oder das Gateway selbst vertauscht Antworten, diese Zeilen und ihre Live-Aktualisierungen können also die Liste eines anderen Fahrzeugs zeigen. Nicht darauf verlassen; dem Betreiber des Gateways melden (und der Netzwerkadministration, wo ein Proxy eingestellt ist).
board-turned-ready = { $count ->
    [one] { $cars } ist bereit
   *[other] { $cars } sind bereit
    }
board-turned-ready-text = Alle Schritte sind erledigt: der Kunde kann den Dienst nutzen.
board-turned-unready = { $count ->
    [one] { $cars } ist nicht mehr bereit
   *[other] { $cars } sind nicht mehr bereit
    }
board-live-on = { $count ->
    [one] Live: 1 Fahrzeug
   *[other] Live: { $count } Fahrzeuge
}
board-live-off = Live aus
board-live-off-text = Die Übersicht aktualisiert sich nicht mehr selbst; r aktualisiert jetzt alle.
board-live-stopped = Live aus für { $car }: { $what }
board-live-stopped-every = Live aus für alle Fahrzeuge: { $what }
board-live-stopped-text = { $why }. Weiter verfolgen brächte nur dieselbe Antwort; für die anderen Fahrzeuge läuft Live weiter. Nach der Behebung zweimal w drücken (Live aus, dann an), um es wieder zu verfolgen.
board-live-stopped-unknown-text = { $why }. Weiter verfolgen brächte nur dieselbe Antwort; für die anderen Fahrzeuge läuft Live weiter.
board-row-id-fix = Die ID einer Zeile lässt sich nicht an Ort und Stelle korrigieren: in der Übersicht entfernt d diese Zeile und a fügt die richtige ID hinzu (vom Bildschirm dieses Fahrzeugs führt Esc zuerst zurück zur Übersicht).
board-live-stopped-all-text = { $why }. Weiter verfolgen brächte nur dieselbe Antwort, und Live ist nun für jedes Fahrzeug der Übersicht gestoppt. Bekam jedes Fahrzeug dieselbe Antwort, ist das Gateway oder etwas davor die Ursache, nicht jede einzelne ID. Nach der Behebung w drücken, um sie wieder zu verfolgen (Live ist aus).
board-vehicle-said = { $car }: { $what }
board-all-failed = { $count ->
    [one] Das Fahrzeug ist gescheitert
   *[other] Alle { $count } Fahrzeuge sind gleich gescheitert
}: { $what }
board-stream-said = Live-Stream von { $count } Fahrzeugen: { $what }
board-nothing-to-watch-text = Alle Fahrzeuge sind bereit.
help-section-board = Die Übersicht
help-section-board-filter = Filter der Übersicht
help-section-board-add = Fahrzeug hinzufügen
help-section-board-remove = Fahrzeug entfernen
key-short-sort = sortieren
key-short-live = live an/aus
key-short-add = hinzufügen
key-short-remove = entfernen
key-short-keep = behalten
key-help-board-move = Fahrzeug auswählen
key-help-board-open = die Schritte des gewählten Fahrzeugs öffnen (Esc führt zur Übersicht zurück)
key-help-board-filter = Zeilen nach Text filtern (ID, nächster Schritt, Fehler)
key-help-board-sort = nach nächstem Schritt, Fortschritt, Aktualität oder ID sortieren
key-help-board-refresh = alle Fahrzeuge aktualisieren
key-help-board-live = alle Fahrzeuge live halten (selbst aktualisiert), oder stoppen
key-help-board-add = ein Fahrzeug über seine carAssociationID hinzufügen
key-help-board-remove = das gewählte Fahrzeug entfernen (fragt vorher)
key-help-board-clear = Filter leeren
key-help-board-sign-in = beim Gateway anmelden (nach einem abgelehnten Token): jedes mangels Token abgelehnte Fahrzeug fragt dann erneut
key-help-filter-keep = Filter behalten und zu den Zeilen zurück
key-help-filter-clear = Filter leeren
key-help-type-filter = den gesuchten Text tippen
key-help-add-submit = das Fahrzeug hinzufügen und seine Schritte abfragen
key-help-remove-now = aus der Übersicht entfernen

## Command-line help: what --help says of each command and option

# The words clap itself would say in English.
help-cli-usage = Aufruf:
help-cli-options = Optionen
help-cli-arguments = Argumente
help-cli-commands = Befehle
help-cli-command-value = BEFEHL
help-cli-help = Hilfe anzeigen
help-cli-help-short = Hilfe anzeigen (ausführlich mit '--help')
help-cli-help-long = Hilfe anzeigen (kurz mit '-h')
help-cli-version = Version anzeigen
help-cli-help-command = Diese Hilfe oder die Hilfe der genannten Befehle anzeigen
help-cli-help-command-subcommand = Die Hilfe dieser Befehle anzeigen
help-cli-default = [Standard: { $value }]
help-cli-env = [Umgebung: { $name }]
help-cli-values = [mögliche Werte: { $values }]
# stepwise itself and its global options.
help-cli-stepwise = Führt den Techniker durch die Schritte zur Dienstaktivierung eines vernetzten Fahrzeugs
help-cli-stepwise-long =
    Führt den Techniker durch die Schritte zur Dienstaktivierung eines vernetzten Fahrzeugs.

    Ist kein Gateway eingestellt (--api, STEPWISE_API oder die Konfigurationsdatei), arbeiten der Assistent und die Befehle steps/next mit dem eingebauten Simulator.
help-cli-stepwise-after = Exit-Codes von steps/next: 0 kein gelieferter Schritt ist offen (todo), 3 ein gelieferter Schritt ist offen, 1 Fehler, 2 falscher Aufruf. Ein Befehl lehnt eine globale Option ab, die er nicht nutzt.
help-cli-stepwise-api = Basis-URL des Schritte-Gateways, z. B. http://127.0.0.1:8080 (ohne Benutzername oder Passwort)
help-cli-stepwise-car = Zu öffnende carAssociationID (Buchstaben a–z, A–Z, Ziffern, - und _); mehrfach angeben für eine Übersicht mehrerer Fahrzeuge (doctor nimmt eine)
help-cli-stepwise-cars = Datei mit carAssociationIDs: eine pro Zeile (# leitet einen Kommentar ein) oder eine CSV-Datei mit der ID in der ersten Spalte
help-cli-stepwise-concurrency = Gleichzeitige Anfragen an das Gateway, für die ganze Übersicht oder alle aus --cars
help-cli-stepwise-token-file = Datei mit dem Bearer-Token des Gateways, allein in einer Zeile
help-cli-stepwise-report = Den Sitzungsbericht beim Beenden hierhin schreiben (.json ergibt JSON, sonst Markdown)
help-cli-stepwise-lang = Sprache der Bildschirme, der Anleitungen, der Textausgabe und dieser Meldungen: en, fr, de, it, es, nl, pt-BR oder pt-PT (pt: pt-BR; sonst STEPWISE_LANG, lang in der Konfigurationsdatei, die Systemsprache, Englisch)
help-cli-stepwise-ca-file = Zusätzlich den Zertifizierungsstellen in dieser PEM-Datei vertrauen (sonst STEPWISE_CA_FILE, `ca_file` in der Konfigurationsdatei, SSL_CERT_FILE)
help-cli-stepwise-client-cert = Dieses Client-Zertifikat vorlegen (PEM; darf auch den Schlüssel enthalten)
help-cli-stepwise-client-key = Der private Schlüssel des Client-Zertifikats (PEM)
# The commands and their options.
help-cli-demo = Der Assistent mit dem eingebauten Simulator
help-cli-demo-autoplay = Der simulierte Kunde erledigt alle paar Sekunden den nächsten Schritt
help-cli-demo-fresh = Das Demo-Backend neu beginnen: seine stepsIDs, Caches und Zustände vergessen
help-cli-demo-board = Die Übersicht mit den Fahrzeugen des Demo-Backends öffnen (oder den angegebenen --car/--cars)
help-cli-fleet = Die Übersicht: viele Fahrzeuge auf einmal, eine Zeile je Fahrzeug (angeben mit --car, mehrfach, oder --cars DATEI)
help-cli-serve = Den Simulator des Schritte-Gateways starten
help-cli-serve-addr = Adresse, auf der gelauscht wird, HOST:PORT (ein Hostname wird aufgelöst)
help-cli-serve-scenario = Szenariodatei (JSON); sonst das eingebaute Szenario
help-cli-serve-token = Dieses Bearer-Token bei jeder Anfrage verlangen. Jeder Benutzer dieses Rechners kann es in `ps` lesen: besser --token-file oder STEPWISE_SERVE_TOKEN verwenden
help-cli-serve-fleet = N erzeugte Fahrzeuge hinzufügen, F0001..., in verschiedenen Zuständen
help-cli-serve-churn = Alle SECONDS Sekunden wird der nächste Schritt eines zufälligen erzeugten Fahrzeugs (F0001…) erledigt; die eingebauten bleiben für die Hand
help-cli-serve-stream-events = Jeden Ereignisstrom nach seinen ersten N Ereignissen beenden (für Werkzeuge, die eine Antwort brauchen, die endet)
help-cli-serve-log = Eine Zeile pro Anfrage auf die Standardausgabe schreiben: Zeit, Methode, Pfad, Status, Dauer
help-cli-serve-tls = HTTPS mit einem beim Start erzeugten Zertifikat anbieten (für localhost und 127.0.0.1)
help-cli-serve-tls-dir = Zertifizierungsstelle (ca.pem), Zertifikat und Schlüssel dorthin schreiben (sonst sim-tls im Datenverzeichnis)
help-cli-serve-client-ca = Client-Zertifikate verlangen, die von dieser Zertifizierungsstelle signiert sind (PEM)
help-cli-serve-auth = Auch Identitätsanbieter sein (`stepwise login`): registrierte Clients, Scopes, Geräte- und Autorisierungscode-Anmeldung (PKCE), rotierende Erneuerungstokens, Widerruf; POST /sim/device/CODE/approve oder /deny
help-cli-serve-token-ttl = Gültigkeit der ausgegebenen Tokens, in Sekunden
help-cli-login = Am Gateway (--api) anmelden, mit einem im Browser bestätigten Code
help-cli-login-with-token = Stattdessen ein Token von der Standardeingabe lesen: per Pipe oder an einer Eingabeaufforderung eingefügt, die es nicht anzeigt (nie aus einem Argument)
help-cli-logout = Die Anmeldung beim Identitätsanbieter widerrufen, wo er das anbietet, und das für das Gateway (--api) gespeicherte Token vergessen
help-cli-logout-forget = Die Anmeldung hier auch dann vergessen, wenn der Identitätsanbieter zum Widerruf nicht erreichbar ist
help-cli-auth = Die Anmeldung: wer, wo das Token liegt, wann es abläuft
help-cli-auth-status = Nennt das Gateway, wo das Token liegt und wann es abläuft (nie das Token); Exit 0 mit brauchbarem Token oder wenn das Gateway ohne eines antwortet, sonst 1
help-cli-auth-status-json = JSON ausgeben
help-cli-steps = Die Schritte als Checkliste (oder JSON) ausgeben; Exit 3, solange ein gelieferter Schritt offen ist
help-cli-steps-after =
    Mit --status todo oder alreadyDone werden nur diese Schritte geliefert: die Ausgabe sagt dann, dass sie gefiltert ist, und meldet den Dienst nie als bereit; Exit 0 heißt nur, dass kein gelieferter Schritt offen ist.

    Mit mehreren Fahrzeugen (--car mehrfach oder --cars DATEI) erhält jedes einen eigenen Block, mit --json ein JSON-Objekt pro Zeile (JSON Lines); Exit 1, wenn ein Fahrzeug fehlschlug (stderr nennt jedes), sonst 3, wenn eines einen offenen Schritt hat, sonst 0.
help-cli-steps-steps-id = Per stepsID statt per --car aktualisieren
help-cli-steps-status = Nur Schritte mit diesem Status
help-cli-steps-reset = Zuerst den Schritte-Cache leeren (hilft bei App-Fehlern 2312/2317)
help-cli-steps-json = JSON statt der Checkliste ausgeben
help-cli-steps-deadline = Nach insgesamt so vielen Sekunden nicht länger warten (bei mehreren Fahrzeugen die nennen, die nicht geantwortet haben)
help-cli-doctor = Alles zwischen diesem Rechner und einem funktionierenden Assistenten prüfen; Exit 1, wenn eine Prüfung fehlschlägt
help-cli-doctor-json = JSON ausgeben
help-cli-completions = Shell-Vervollständigungen ausgeben (bash, zsh, fish, powershell, elvish)
help-cli-completions-shell = Die Shell, für die die Vervollständigung geschrieben wird
help-cli-man = Die Handbuchseite (roff) ausgeben, z. B. `stepwise man > stepwise.1`
help-cli-next = Den nächsten offenen Schritt ausgeben; Exit 3, solange einer bleibt
help-cli-next-after = `order` ist die Antwort des Gateways auf die Frage nach dem nächsten Schritt, wie gesendet: diese Antwort nummeriert den gelieferten Schritt für sich (die des SDK gibt 1), daher kann sie von der Reihenfolge desselben Schritts in `stepwise steps` abweichen.
help-cli-next-steps-id = Die stepsID, deren nächster Schritt erfragt wird (`stepwise steps` zeigt sie)
help-cli-next-json = JSON ausgeben
# Wrong arguments, said before anything runs.
cli-arg-error = stepwise: Fehler: { $message }
cli-arg-login-trouble = stepwise: Warnung: es wird kein Token gesendet: { $why }
cli-arg-warning = stepwise: Warnung: { $what }
device-unkept = die Gerätekennung kann nicht in { $path } gespeichert werden ({ $why }): jeder Lauf ist für das Gateway ein neues Gerät, das die stepsIDs früherer Läufe als die eines anderen Geräts ablehnt. Das beheben: was im Weg steht entfernen, oder diesem Benutzer dort Schreibrechte geben
cli-waiting-limited = stepwise: das Gateway begrenzt die Anfragen (HTTP 429): { $secs } s Wartezeit, wie verlangt, dann ein neuer Versuch (Strg-C bricht ab)
cli-waiting-limited-past-deadline = stepwise: das Gateway begrenzt die Anfragen (HTTP 429) und verlangt { $secs } s Wartezeit, länger als die { $left } s, die von der Frist (--deadline) bleiben: der Befehl endet mit der Frist. Eine längere --deadline angeben, um sie abzuwarten, oder es später erneut versuchen
cli-arg-not-used = { $command } nutzt { $option } nicht: { $why }
cli-arg-why-demo-api = er läuft immer mit dem eingebauten Simulator. Für ein Gateway `stepwise --api URL` starten
cli-arg-why-demo-token-file = der eingebaute Simulator braucht kein Token. Für ein Gateway `stepwise --api URL --token-file PATH` starten
cli-arg-why-login-token-file = login bewahrt ein Token auf, das es von der Standardeingabe liest, nie aus einer damit angegebenen Datei: `stepwise login --with-token < PATH`
cli-arg-why-logout-token-file = logout vergisst die für das Gateway aufbewahrte Anmeldung und schickt ihm kein Token. Die Option weglassen
cli-arg-why-serve-api = er ist selbst das Gateway. Die Clients stattdessen auf seine --addr richten
cli-arg-why-concurrency = er ist das Gateway und fragt selbst kein Gateway an; --concurrency ist für die Clients, die ihn anfragen. Die Option weglassen
cli-arg-why-concurrency-next = er fragt mit einer Anfrage den nächsten Schritt eines Fahrzeugs ab: Nichts läuft gleichzeitig. Die Option weglassen
cli-arg-why-serve-car = der Simulator antwortet für jedes Fahrzeug seines Szenarios (eines wählen mit --scenario)
cli-arg-why-session-report = Sitzungsberichte kommen vom Assistenten. Die Option weglassen
cli-arg-why-serve-client-cert = die legt ein Client vor. Um Client-Zertifikate zu verlangen, serve --tls --client-ca DATEI verwenden
cli-arg-why-doctor-report = er gibt stattdessen seinen Bericht aus. Mit --json ausgeben und umleiten, um ihn aufzubewahren
cli-arg-doctor-one-car = doctor prüft ein Fahrzeug: ein --car angeben (kein --cars); die Fahrzeuge einer Übersicht prüft `stepwise steps --cars DATEI`
cli-arg-why-print-report = er gibt stattdessen sein Ergebnis aus. Zum Aufbewahren umleiten, z. B. `--json > steps.json`
cli-arg-why-sign-in-car = die Anmeldung gilt je Gateway, nicht je Fahrzeug. Die Option weglassen
cli-arg-why-next-car = er fragt nur per --steps-id. Eine stepsID liefert `stepwise steps --car ID`
cli-arg-why-steps-cars = --steps-id fragt nach einer einzigen Liste. Eines von beiden weglassen
cli-arg-serve-token-twice = serve nimmt das verlangte Token aus --token oder --token-file, nicht aus beiden
cli-arg-serve-token-empty = serve --token ist leer und würde so kein Token verlangen. Das Token angeben oder --token weglassen für einen Simulator ohne Zugangsschutz
cli-arg-serve-churn = serve --churn braucht --fleet N: es erledigt Schritte der erzeugten Fahrzeuge. z. B. --fleet 200 hinzufügen
cli-arg-seconds = eine Zahl von Sekunden zwischen 0.1 und 86400 angeben, z. B. 2
cli-arg-empty = er ist leer: einen Wert angeben oder die Option für ihren Standardwert weglassen
cli-arg-id = eine ID besteht aus 1 bis { $max } Buchstaben a–z, A–Z, Ziffern, '-' oder '_'
cli-arg-addr-no-port = der Port fehlt; HOST:PORT angeben, z. B. 127.0.0.1:8080, localhost:8080 oder [::1]:8080
cli-arg-addr-no-host = bei { $port } fehlt der Host; HOST:PORT angeben, z. B. 127.0.0.1:{ $port } (oder 0.0.0.0:{ $port } für das Netz der Werkstatt)
cli-arg-addr-port = der Port ist keine Zahl von 0 bis 65535; HOST:PORT angeben, z. B. 127.0.0.1:8080, localhost:8080 oder [::1]:8080
cli-arg-addr-host = der Host ist weder eine Adresse noch ein Hostname; HOST:PORT angeben, z. B. 127.0.0.1:8080, localhost:8080 oder [::1]:8080
cli-arg-addr-scheme = es beginnt mit einem Schema (http:// oder https://), das --addr nicht nimmt; nur HOST:PORT angeben, z. B. { $given }
cli-arg-addr-ip = die IP-Adresse { $host } ist ungültig: jeder ihrer vier Teile ist eine Zahl von 0 bis 255; HOST:PORT angeben, z. B. 127.0.0.1:8080 oder 192.168.1.20:8080
cli-arg-report-folder = --report { $path } ist ein Ordner. Einen Dateinamen darin angeben, z. B. { $example }
cli-arg-report-slash = --report { $path } endet mit einem Schrägstrich wie der Pfad eines Ordners, und diesen Ordner gibt es nicht. Einen Dateinamen angeben, z. B. session.md
cli-arg-report-not-a-file = --report { $path } ist keine normale Datei (ein Gerät, eine Pipe oder ein Link), und der Bericht würde sie ersetzen. Den Pfad einer neuen oder normalen Datei angeben, z. B. sitzung.md
cli-arg-report-is-cars = --report { $path } ist die mit --cars angegebene ID-Datei: der Bericht würde die Fahrzeugliste überschreiben. Dem Bericht einen anderen Namen geben, z. B. sitzung.md
cli-arg-report-is-token-file = --report { $path } ist die mit --token-file angegebene Token-Datei: der Bericht würde das Token überschreiben. Dem Bericht einen anderen Namen geben, z. B. session.md
cli-arg-report-is-config = --report { $path } ist die Konfigurationsdatei, die dieser Lauf liest: der Bericht würde ihre Einstellungen überschreiben. Dem Bericht einen anderen Namen geben, z. B. session.md
cli-arg-report-not-report = --report { $path } ist bereits eine Datei, die kein stepwise-Bericht ist: der Bericht würde sie ersetzen. Dem Bericht einen anderen Namen geben, z. B. sitzung.md, oder die Datei zuerst woandershin verschieben
cli-arg-report-in-data = --report { $path } liegt im eigenen Datenordner von stepwise ({ $dir }), wo es seine Anmeldungen und seine Geräte-ID aufbewahrt: der Bericht könnte sie überschreiben. Dem Bericht einen Pfad außerhalb geben, z. B. session.md
cli-arg-report-parent-file = --report { $path }: { $parent } ist kein Ordner. Einen anderen Pfad wählen
cli-arg-report-no-folder = --report { $path }: der Ordner { $parent } existiert nicht. Ihn anlegen oder einen anderen Pfad wählen
cli-arg-report-unwritable = --report { $path } kann nicht geschrieben werden ({ $why }). Einen beschreibbaren Pfad wählen
cli-arg-report-unwritable-kept = --report { $path } kann nicht geschrieben werden ({ $why }). Der Sitzungsbericht samt Notizen wurde stattdessen nach { $kept } geschrieben; prüfen, was sich an diesem Pfad seit dem Start des Assistenten geändert hat
cli-arg-unknown-lang = unbekannte Sprache { $given } in { $place }; stepwise spricht { $codes }
cli-arg-unknown-lang-config = unbekannte Sprache { $given } in lang der Konfigurationsdatei; stepwise spricht { $codes }
cli-arg-man-failed = die Handbuchseite kann nicht erzeugt werden: { $error }
cli-arg-cars-unreadable = --cars { $path } kann nicht gelesen werden: { $error }. Den Pfad prüfen (eine ID pro Zeile oder eine CSV-Datei)
cli-arg-cars-workbook = --cars { $path } ist eine Excel-Arbeitsmappe, kein Text: In Excel mit Speichern unter als „CSV UTF-8“ speichern und diese Datei angeben
cli-arg-cars-not-text = --cars { $path } ist keine Textdatei (sie enthält Steuerzeichen): eine Textdatei mit einer carAssociationID pro Zeile oder eine CSV angeben
cli-arg-cars-bad = --cars { $path }: { $error }
cars-bad-line = Zeile { $line } „{ $id }“
cars-bad-more = und { $n } weitere
cars-bad = { $lines }: keine carAssociationID (1 bis { $max } Buchstaben a–z, A–Z, Ziffern, „-“ oder „_“). { $count ->
    [one] Diese Zeile
   *[other] Diese Zeilen
} korrigieren oder entfernen
cars-excel-number = Eine Zeile enthält eine lange Zahl so, wie Excel sie schreibt (etwa 9,87654E+11): In Excel die Spalte als Text formatieren, die IDs neu eingeben und erneut speichern.
cars-heading-no-ids = die erste Zeile „{ $heading }“ nennt keine Spalte als carAssociationID, und keine Spalte darunter enthält nur IDs (eine FIN oder ein Kennzeichen ist keine carAssociationID). Der Spalte der IDs die Überschrift carAssociationID (oder Fahrzeug-ID) geben oder eine ID pro Zeile angeben
cars-heading-ambiguous = die erste Zeile „{ $heading }“ sagt nicht, welche Spalte die carAssociationID enthält, und { $count } Spalten darunter kämen infrage. Der Spalte der IDs die Überschrift carAssociationID (oder Fahrzeug-ID) geben oder eine ID pro Zeile angeben
cli-arg-cars-empty = --cars { $path } enthält keine carAssociationID. Eine ID pro Zeile eintragen
cli-arg-fleet-needs-cars = fleet braucht Fahrzeuge: --car ID (mehrfach) oder --cars DATEI angeben, z. B. `stepwise fleet --cars ids.txt`
cli-arg-steps-needs-car = steps braucht --car ID, --cars DATEI oder --steps-id ID
steps-reset-asked = Der Schritte-Cache wurde zurückgesetzt (resetSteps=true): Die Liste unten ist die Antwort des Gateways nach dem Zurücksetzen.
cli-wrong-device-hint = Dieses Gerät bekommt seine eigene stepsID mit `stepwise steps --car ID`; diese bei --steps-id angeben.
cli-wrong-device-reset = Der Schritt-Cache wurde nicht zurückgesetzt: ihn stattdessen über die carAssociationID zurücksetzen, mit `stepwise steps --car ID --reset`.
cli-wrong-device-unkept = Dieser Lauf konnte seine Geräte-ID nicht behalten (siehe die Warnung oben): jeder Lauf ist daher ein neues Gerät, und eine stepsID gilt nur in dem Lauf, der sie bekam. Zuerst den Datenordner in Ordnung bringen.
cli-arg-output-failed = die Ausgabe kann nicht geschrieben werden: { $error }. Prüfen, wohin die Standardausgabe geht (Datenträger voll?)
cli-arg-runtime = die asynchrone Laufzeit startet nicht: { $error }
cli-arg-dumb-terminal = der Assistent kann auf einem dummen Terminal (TERM=dumb) nicht zeichnen. Für Skripte `stepwise steps --car ID [--json]` verwenden oder TERM setzen, z. B. TERM=xterm-256color
cli-arg-demo-scripts = Für die Fahrzeuge der Demo antwortet `stepwise steps --car 987654` (oder 111111, 222222, 333333, 444444) nur dann aus demselben eingebauten Simulator, wenn kein Gateway eingestellt ist (kein --api, keine STEPWISE_API und kein `api` in der Konfigurationsdatei); die F0001… der Board-Demo gibt es nur in ihr
cli-arg-no-terminal = der Assistent braucht ein interaktives Terminal. Für Skripte `stepwise steps --car ID [--json]` verwenden
cli-arg-report-written = Sitzungsbericht geschrieben nach { $path }
cli-arg-report-empty = Nichts zu berichten: in dieser Sitzung wurde kein Fahrzeug geöffnet und keine Notiz geschrieben ({ $path } hält das fest).
cli-arg-report-notes-kept = Ihre Notizen wurden bewahrt: kein --report war angegeben, und die Sitzung endete ohne zweites q, daher wurde der Sitzungsbericht nach { $path } geschrieben
cli-arg-report-notes-unkept = Ihre Notizen konnten in keinen Bericht geschrieben werden (auch die Berichte im Datenordner sind nicht beschreibbar); hier sind sie zum Kopieren:
cli-arg-report-earlier-kept = Der frühere Bericht unter diesem Pfad ist als { $path } bewahrt
cli-arg-internal-error = stepwise wurde nach einem internen Fehler beendet (die Meldung steht oben); die Protokolldatei enthält die Einzelheiten für den Support.
cli-arg-scenario-bad = { $error }. Die Datei korrigieren oder --scenario weglassen
scenario-unreadable = das Szenario { $path } ist nicht lesbar: { $error }
scenario-not-json = das Szenario { $path } ist kein JSON eines Szenarios ({ $detail })
scenario-unknown-member = es enthält ein Feld { $member }, das ein Szenario nicht hat, in Zeile { $line }, Spalte { $column }
scenario-missing-member-at = dem Objekt, das in Zeile { $line }, Spalte { $column } endet, fehlt das Feld { $member }
scenario-shape-at = seine Form weicht in Zeile { $line }, Spalte { $column } von der eines Szenarios ab
scenario-cut = das Szenario { $path } endet, bevor sein JSON endet (Zeile { $line }, Spalte { $column }): die Datei ist abgeschnitten
scenario-syntax = das Szenario { $path } ist kein gültiges JSON in Zeile { $line }, Spalte { $column } (ein fehlendes Anführungszeichen, Komma oder eine Klammer, oder gar keine JSON-Datei): dort korrigieren
scenario-bad-id = das Szenario { $path }: die carAssociationID { $id } besteht nicht nur aus Buchstaben a–z, A–Z, Ziffern, - oder _
scenario-id-twice = das Szenario { $path }: die carAssociationID { $id } kommt zweimal vor
scenario-step-names = das Szenario { $path }: jeder Schritt von { $id } braucht einen Namen, jeden Namen nur einmal
cli-arg-addr-unresolved = --addr { $addr } kann nicht aufgelöst werden: { $error }. Eine IP-Adresse oder einen diesem Rechner bekannten Hostnamen angeben, z. B. 127.0.0.1:8080
cli-arg-addr-nothing = --addr { $addr } ergibt keine Adresse. Eine IP-Adresse angeben, z. B. 127.0.0.1:8080
cli-arg-listen-failed = auf { $addr } kann nicht gelauscht werden: { $error }. Eine andere --addr wählen
cli-arg-bound-unknown = die für { $addr } gebundene Adresse ist nicht feststellbar. Eine andere --addr wählen
cli-arg-sim-stopped = der Simulator hat angehalten: { $error }
cli-arg-tls-no-dir = kein Datenverzeichnis für die Zertifikate. --tls-dir VERZEICHNIS angeben
cli-arg-tls-dir-failed = { $path } kann nicht angelegt werden: { $error }. Ein anderes --tls-dir angeben
cli-arg-tls-write-failed = { $error }. Ein anderes --tls-dir angeben
cli-arg-client-ca-unreadable = die --client-ca-Datei { $path } kann nicht gelesen werden: { $error }. Den Pfad prüfen
cli-arg-client-ca-bad = { $error }. Die --client-ca-Datei prüfen
cli-arg-tls-authority-written = Zertifizierungsstelle geschrieben nach { $path }: Clients vertrauen ihr mit --ca-file { $path }
cli-arg-tls-client-cert = Ein Client-Zertifikat dieser Zertifizierungsstelle, um ein Gateway zu testen, das eines verlangt (serve --client-ca { $ca }): --client-cert { $path }
cli-arg-tls-authority-kept = Zertifizierungsstelle eines früheren Laufs in { $path } behalten (ca.pem, cert.pem und key.pem dort löschen für neue): Clients vertrauen ihr mit --ca-file { $path }
cli-arg-tls-kept-uncovered = Achtung: das in { $path } aufbewahrte Zertifikat ist für { $names } ausgestellt, nicht für { $missing }: Clients, die { $missing } in --api verwenden, bekommen einen Zertifikatsfehler. ca.pem, cert.pem und key.pem in { $dir } löschen, damit neue erstellt werden (Clients vertrauen dann der neuen ca.pem)
cli-arg-tls-kept-bad = die TLS-Dateien in { $dir } sind nicht verwendbar ({ $error }). Sie bleiben, wie sie sind: ca.pem, cert.pem und key.pem dort löschen, damit neue erzeugt werden, oder ein anderes --tls-dir angeben
sim-tls-library = die TLS-Bibliothek hat die Einrichtung abgelehnt: { $error }
sim-tls-write = { $path } lässt sich nicht schreiben: { $error }
sim-tls-cert-none = cert.pem enthält kein PEM-Zertifikat (kein BEGIN-CERTIFICATE-Block)
sim-tls-cert-not-pem = cert.pem ist kein gültiges PEM (ein Block ist beschädigt)
sim-tls-key-none = key.pem enthält keinen privaten PEM-Schlüssel
sim-tls-key-mismatch = cert.pem und key.pem gehören nicht zusammen (der Schlüssel ist nicht der des Zertifikats)
sim-tls-client-ca-none = die --client-ca-Datei { $path } enthält kein PEM-Zertifikat (kein BEGIN-CERTIFICATE-Block): die PEM-Datei der Zertifizierungsstelle angeben, die die Client-Zertifikate ausstellt
sim-tls-client-ca-not-pem = die --client-ca-Datei { $path } ist kein gültiges PEM (ein Block ist beschädigt)
sim-tls-client-ca-not-authority = die --client-ca-Datei { $path } enthält ein Zertifikat, das nicht als Zertifizierungsstelle dienen kann ({ $detail })
cli-arg-tls-partial = { $dir } enthält { $present }, aber nicht alle von ca.pem, cert.pem und key.pem: nichts wird überschrieben (Clients vertrauen dieser Zertifizierungsstelle vielleicht). Die fehlenden Dateien hinzufügen, diese löschen oder ein anderes --tls-dir angeben
cli-arg-tls-client-ca-required = Client-Zertifikate, signiert von { $path }, sind Pflicht
cli-arg-sim-listening = stepwise-Simulator lauscht auf { $url } ({ $count ->
        [one] 1 Zuordnung
       *[other] { $count } Zuordnungen
    }; { $required }; Strg-C beendet)
cli-arg-sim-token-either = Bearer-Token oder Anmelde-Token verlangt
cli-arg-sim-token-bearer = Bearer-Token verlangt
cli-arg-sim-token-signed-in = Anmelde-Token verlangt
cli-arg-sim-token-none = kein Token verlangt
cli-arg-sim-open-network = Achtung: { $url } ist von anderen Rechnern aus erreichbar und verlangt kein Token: Jeder in diesem Netz kann die Steueraufrufe nutzen (/sim/…: Schritte abschließen oder zurücknehmen, Anmeldungen freigeben). Ein Token mit --token-file PFAD verlangen oder nur auf 127.0.0.1 lauschen.
cli-arg-sim-reach = Andere Rechner und Handys erreichen ihn unter { $url }: dort diese Adresse an --api geben (der QR-Code der Kundenanleitung zeigt dann auch dorthin)
cli-arg-sim-device-sign-in = Geräte-Anmeldung an: Tokens gelten { $seconds } s; einen Code bestätigen mit POST /sim/device/CODE/approve (oder /deny), oder { $url }/device öffnen

## Command-line errors: configuration, networks, sign-in storage
# Die Konfigurationsdatei; { $file } ist ihr Pfad, oder ihr Pfad und die Variable, die sie nennt
err-config-named-by = { $path } (aus STEPWISE_CONFIG)
err-config-not-utf8 = die Konfigurationsdatei { $file } ist kein UTF-8-Text. Als UTF-8-TOML speichern
err-config-missing = die Konfigurationsdatei { $file } existiert nicht. Sie anlegen, oder STEPWISE_CONFIG korrigieren oder entfernen
err-config-folder-named = die Konfigurationsdatei { $file } ist ein Ordner, keine Datei. STEPWISE_CONFIG korrigieren oder entfernen
err-config-folder = die Konfigurationsdatei { $file } ist ein Ordner, keine Datei. Ihn entfernen oder dort eine Konfigurationsdatei ablegen
err-config-unreadable = die Konfigurationsdatei { $file } lässt sich nicht lesen: { $kind }. Leserechte für den eigenen Benutzer setzen
err-config-unreadable-other = die Konfigurationsdatei { $file } lässt sich nicht lesen: { $kind }. Das Problem dort beheben oder STEPWISE_CONFIG auf eine andere Konfigurationsdatei zeigen lassen
err-config-invalid-at = die Konfigurationsdatei { $file } ist ungültig in Zeile { $line }, Spalte { $column }: { $why }. Bekannte Schlüssel: api, token, token_file, docs_base_url, ca_file, client_cert, client_key, lang, issuer, client_id, scopes, audience
err-config-backslash = die Konfigurationsdatei { $file }, Zeile { $line }: ein Backslash in "…"-Text leitet eine Escape-Folge ein (\t ist ein Tabulator, \n ein Zeilenumbruch), daher bricht ein Windows-Pfad dort. Den Pfad in einfache Anführungszeichen setzen ('C:\Users\ich\tok') oder / bzw. \\ statt jedes \ schreiben
err-config-empty-path = die Konfigurationsdatei { $file }, Zeile { $line }: { $key } ist leer und nennt daher keine Datei. Den Pfad der Datei angeben oder die Zeile entfernen
err-config-invalid = die Konfigurationsdatei { $file } ist ungültig: { $why }. Bekannte Schlüssel: api, token, token_file, docs_base_url, ca_file, client_cert, client_key, lang, issuer, client_id, scopes, audience
err-config-syntax-at = die Konfigurationsdatei { $file } ist ungültig in Zeile { $line }, Spalte { $column }: { $why }
err-config-syntax = die Konfigurationsdatei { $file } ist ungültig: { $why }
config-unknown-key = { $key } ist kein Schlüssel, den stepwise kennt
config-wants-text = dieser Wert muss Text in Anführungszeichen sein (Schlüssel = "Wert")
config-quote = ein Textwert steht in Anführungszeichen (Schlüssel = "Wert")
config-unclosed = ein Text in Anführungszeichen ist nicht geschlossen. Beenden Sie ihn mit dem Zeichen, mit dem er beginnt (" oder ')
config-no-equals = Schlüssel und Wert werden mit = verbunden (Schlüssel = "Wert"), nicht mit einem Doppelpunkt oder Leerzeichen
config-extra-equals = zwischen Schlüssel und Wert steht ein einziges = (Schlüssel = "Wert")
config-duplicate = dieser Schlüssel steht ein zweites Mal da. Behalten Sie nur einen
config-one-per-line = ein Schlüssel = "Wert" pro Zeile, nach dem Wert nur ein #-Kommentar
config-table = diese Datei kennt keine [Abschnitt]-Überschrift: jede Einstellung ist eine eigene Zeile, Schlüssel = "Wert"
config-no-key = vor dem = fehlt der Schlüssel: jede Einstellung ist eine Zeile Schlüssel = "Wert", z. B. api = "https://gateway.example"
# Token-Datei und als Text angegebenes Token; { $from } sagt, wo es angegeben wurde
err-from-config-token = der Konfigurationsdatei
err-from-stdin = der Standardeingabe
err-from-config-token-file = token_file der Konfigurationsdatei
err-from-config-ca-file = ca_file der Konfigurationsdatei
err-token-file-missing = die Token-Datei { $path } (aus { $from }) existiert nicht. Pfad prüfen oder das Token dort speichern
err-token-file-unexpanded = die Token-Datei { $path } (aus { $from }) existiert nicht: in einem Pfad werden nur ~/ oder $HOME/ am Anfang ersetzt, jede andere Variable bleibt wörtlich stehen. Den vollständigen Pfad angeben
err-token-file-folder = die Token-Datei { $path } (aus { $from }) ist ein Ordner. Die Datei mit dem Token angeben, nicht ihren Ordner
err-token-file-denied = die Token-Datei { $path } (aus { $from }) lässt sich nicht lesen: Zugriff verweigert. Leserechte für den eigenen Benutzer setzen (z. B. chmod 600)
err-token-file-unreadable = die Token-Datei { $path } (aus { $from }) lässt sich nicht lesen ({ $kind }). Pfad und Datei prüfen
err-token-file-not-utf8 = die Token-Datei { $path } (aus { $from }) ist kein UTF-8-Text. Das Token des Gateways als reinen Text hineinschreiben
err-token-file-empty = die Token-Datei { $path } (aus { $from }) ist leer. Das Token des Gateways hineinschreiben, allein in einer Zeile
err-token-file-characters = die Token-Datei { $path } (aus { $from }) enthält Leerzeichen oder Zeichen, die ein Token nicht haben kann. Das Token allein in eine Zeile schreiben, genau wie vom Gateway ausgegeben
err-token-file-bearer = die Token-Datei { $path } (aus { $from }) enthält vor dem Token das Wort Bearer: das Wort Bearer streichen und das Token allein in der Zeile lassen; stepwise setzt Bearer selbst davor
err-token-file-wrapped = die Token-Datei { $path } (aus { $from }) enthält das Token { $shape }: nur das Token selbst behalten, allein in seiner Zeile, genau wie das Gateway es ausgestellt hat
err-serve-token-file-characters = die Token-Datei { $path } (aus serve --token-file) enthält Leerzeichen, Anführungszeichen oder Zeichen, die ein Token nicht haben kann. Das Token des Simulators wählen Sie selbst: eines aus Buchstaben, Ziffern und - . _ ~ + / allein in seine Zeile schreiben
err-token-file-lines = die Token-Datei { $path } (aus { $from }) hat { $n ->
    [one] { $n } Zeile
   *[other] { $n } Zeilen
}. Eine Token-Datei enthält nur das Token, allein in einer Zeile
err-token-text = das Token in { $from } enthält Leerzeichen, Zeilenumbrüche oder Zeichen, die ein Token nicht haben kann. Das Token genau so angeben, wie das Gateway es ausgegeben hat
err-token-text-bearer = das Token in { $from } beginnt mit dem Wort Bearer: das Wort Bearer streichen und nur das Token angeben; stepwise setzt Bearer selbst davor
err-token-text-wrapped = das Token in { $from } ist { $shape } angegeben: das Token selbst angeben, genau wie das Gateway es ausgestellt hat
err-serve-token-text = das Token des Simulators (serve --token oder STEPWISE_SERVE_TOKEN) enthält Leerzeichen, Anführungszeichen oder Zeichen, die ein Token nicht haben kann. Sie wählen es selbst: nur Buchstaben, Ziffern und - . _ ~ + / verwenden
token-shape-quoted = in Anführungszeichen
token-shape-assignment = als Name=Wert (eine Zeile eines Skripts oder einer .env-Datei)
token-shape-json = in JSON (etwa der Antwort eines Identitätsanbieters: der Wert seines access_token ist das Token)
token-shape-punctuated = mit einem „;“ oder „,“ dahinter (aus einer Befehlszeile oder einer Liste kopiert)
token-shape-header = als ganze Kopfzeile (`Authorization: Bearer …`; stepwise fügt die Kopfzeile und das Wort Bearer selbst hinzu)
err-token-text-empty = das Token in { $from } ist leer. Das Token genau so angeben, wie das Gateway es ausgegeben hat, oder die Einstellung entfernen
err-config-token-not-text = die Konfigurationsdatei { $file } gibt ein Token an, das kein Text in Anführungszeichen ist (der Wert wird nicht angezeigt). Es als token = "…" schreiben, genau wie vom Gateway ausgegeben
err-file-too-large = größer als { $limit } KiB, weit mehr, als eine solche Datei je enthält
err-io-not-found = Datei nicht gefunden
err-io-denied = Zugriff verweigert (dieser Benutzer darf sie nicht lesen)
err-io-folder = das ist ein Ordner, keine Datei
err-io-not-text = das ist kein UTF-8-Text
# URLs
err-user-info-gateway = die Gateway-URL enthält Benutzername oder Passwort (user:password@host), die stepwise weder zeigt noch sendet. Aus --api, STEPWISE_API oder api in der Konfigurationsdatei entfernen; das Token des Gateways gehört in --token-file, STEPWISE_TOKEN oder die Konfigurationsdatei
err-user-info-docs = die Basis-URL der Dokumentation enthält Benutzername oder Passwort (user:password@host), die stepwise weder zeigt noch sendet. Aus { $place } entfernen; das Token des Gateways gehört in --token-file, STEPWISE_TOKEN oder die Konfigurationsdatei
err-docs-url = die Basis-URL der Dokumentation { $url } ist keine http(s)-URL. { $place } korrigieren, z. B. https://help.dealer.example
err-docs-url-why = die Basis-URL der Dokumentation { $url } ist unbrauchbar: { $why }. { $place } korrigieren, z. B. https://help.dealer.example
docs-place-config = docs_base_url in der Konfigurationsdatei
err-api-scheme = die Gateway-URL { $url } sagt weder http:// noch https://: http:// oder https:// davorsetzen, z. B. http://{ $url }
err-api-scheme-typo = in der Gateway-URL { $url } ist das Schema falsch geschrieben (es braucht ://): { $fixed } schreiben
err-api-empty = --api (oder STEPWISE_API) ist angegeben, aber leer: die URL des Gateways angeben, z. B. --api http://127.0.0.1:8080, oder weglassen, um den eingebauten Simulator zu nutzen
err-api-empty-in-file = `api` in der Konfigurationsdatei ({ $path }) ist leer: dort die URL des Gateways angeben, z. B. api = "http://127.0.0.1:8080", oder die Zeile entfernen, um den eingebauten Simulator zu nutzen
# Zertifikate, Schlüssel und Proxys; { $why } beendet den Satz, der die Datei nennt
err-ca-file = die CA-Datei { $path } { $why }. Eine PEM-Datei der Zertifizierungsstelle mit --ca-file angeben
err-ca-file-from = die CA-Datei { $path } (aus { $from }) { $why }. { $from } auf eine PEM-Datei der Zertifizierungsstelle korrigieren oder diese Einstellung entfernen
err-client-cert = das Client-Zertifikat { $path } { $why }. Ein PEM-Zertifikat mit --client-cert angeben (und seinen Schlüssel mit --client-key)
err-client-cert-bare = das Client-Zertifikat { $path } { $why }
err-key-not-in-cert = das Client-Zertifikat { $path } { $why }; den Schlüssel in dieselbe Datei legen oder --client-key angeben. Ein PEM-Zertifikat mit --client-cert angeben (und seinen Schlüssel mit --client-key)
err-client-key = der Client-Schlüssel { $path } { $why }. Den privaten Schlüssel des Zertifikats (PEM) mit --client-key angeben
err-key-mismatch = der Client-Schlüssel { $key } passt nicht zum Zertifikat { $cert }. Den Schlüssel angeben, mit dem dieses Zertifikat erstellt wurde
err-key-without-cert = --client-key { $key } wurde ohne --client-cert angegeben. Beides angeben
err-key-without-cert-config = `client_key` in der Konfigurationsdatei nennt { $key }, aber kein Client-Zertifikat ist gesetzt: `client_cert` in die Konfigurationsdatei eintragen (oder --client-cert angeben)
err-pem-missing = lässt sich nicht lesen (nicht vorhanden)
err-pem-denied = lässt sich nicht lesen (Zugriff verweigert)
err-pem-unreadable = lässt sich nicht lesen ({ $kind })
err-pem-not-pem = ist kein gültiges PEM ({ $detail })
err-pem-no-certificate = enthält kein PEM-Zertifikat (kein BEGIN-CERTIFICATE-Block)
err-pem-no-key = enthält keinen privaten PEM-Schlüssel (kein BEGIN-PRIVATE-KEY-Block)
err-pem-encrypted = ist mit einer Passphrase verschlüsselt, und verschlüsselte Schlüssel werden nicht unterstützt. Ihn einmal mit `openssl pkey -in SCHLUESSEL -out KLAR.key` entschlüsseln und diese Datei privat halten
err-pem-bad-key = ist kein gültiger PEM-Schlüssel ({ $detail })
err-pem-no-authority = enthält keine brauchbare Zertifizierungsstelle
err-pem-unusable = ist nicht verwendbar ({ $detail })
err-pem-cert-version1 = ist unbrauchbar: es ist ein X.509-Zertifikat der Version 1 (ohne Erweiterungen), das die TLS-Bibliothek von stepwise nicht vorlegen kann, auch wo ein Gateway es annähme; beim Aussteller ein Zertifikat der Version 3 anfordern
err-pem-cert-refused = ist unbrauchbar: die TLS-Bibliothek lehnt dieses Zertifikat ab; beim Aussteller ein neues anfordern
err-proxy = der Proxy in { $from } ist unbrauchbar: { $why }. Ihn als http://HOST:PORT angeben, oder { $from } entfernen, um direkt zu verbinden
err-proxy-socks = der Proxy in { $from } ist ein SOCKS-Proxy ({ $scheme }://), und stepwise spricht nur mit HTTP-Proxys. Nach dem HTTP-Proxy des Netzes fragen und ihn als http://HOST:PORT angeben, oder { $from } entfernen, um direkt zu verbinden
err-proxy-not-url = das ist keine URL ({ $detail })
err-proxy-scheme = das Schema { $scheme } wird nicht unterstützt (nur http://-Proxys)
err-proxy-no-host = es fehlt der Host
err-proxy-userinfo-chars = Benutzername oder Passwort darin enthalten \, /, ? oder #, die eine URL dort nur prozentkodiert annimmt: \ als %5C (DOMÄNE%5Cbenutzer), / als %2F, ? als %3F und # als %23 schreiben
err-tls-setup = TLS lässt sich nicht einrichten: { $detail }
# Wo Anmeldungen aufbewahrt werden: Schlüsselbund oder Anmeldedatei; { $why } und { $kind } sind die Worte des Systems
err-store-choice = STEPWISE_TOKEN_STORE muss keyring, file oder auto sein, nicht { $value }
err-store-keyring-unusable = STEPWISE_TOKEN_STORE=keyring, aber der Schlüsselbund ist nicht nutzbar: { $why }. { $fix }
err-store-nowhere = es gibt weder einen Schlüsselbund noch einen Datenordner für das Token. HOME setzen, oder ein Token mit --token-file angeben
err-store-no-data-dir = es gibt keinen Datenordner für das Token; HOME setzen
err-store-encode = die Anmeldung lässt sich nicht kodieren: { $detail }
err-store-unreadable = die für { $gateway } aufbewahrte Anmeldung lässt sich nicht lesen. `stepwise logout`, dann `stepwise login` ausführen
err-store-too-slow = der Schlüsselbund antwortete nicht binnen { $secs } s. Ihn entsperren, oder STEPWISE_TOKEN_STORE=file setzen
err-store-keyring-entry = der Schlüsselbund verweigerte einen Eintrag für { $gateway }: { $why }
err-store-keyring-read = die Anmeldung lässt sich nicht aus dem Schlüsselbund ({ $name }) lesen: { $why }. { $fix }
err-store-keyring-write = die Anmeldung lässt sich nicht im Schlüsselbund ({ $name }) aufbewahren: { $why }. { $fix }
err-store-keyring-too-small = die Anmeldung ist zu lang für den Schlüsselbund ({ $name }), der höchstens { $max } Bytes pro Eintrag aufnimmt. STEPWISE_TOKEN_STORE=file setzen, um sie in einer Datei aufzubewahren
err-store-keyring-remove = die Anmeldung lässt sich nicht aus dem Schlüsselbund ({ $name }) entfernen: { $why }
keyring-no-bus = kein Sitzungsbus des Desktops (D-Bus) ist erreichbar, daher kann kein Schlüsselbund gefragt werden (eine SSH- oder Dienstsitzung oder ein Container hat keinen)
keyring-locked = der Schlüsselbund ist gesperrt, oder seine Entsperrabfrage wurde abgebrochen
keyring-no-service = kein Schlüsselbund-Dienst (Secret Service, etwa GNOME Keyring oder KWallet) antwortet
keyring-malformed = das dort aufbewahrte Geheimnis ist beschädigt
keyring-other = der Schlüsselbund antwortete: { $detail }
keyring-fix-no-bus = stepwise in der Desktop-Sitzung ausführen, oder STEPWISE_TOKEN_STORE=file setzen
keyring-fix-locked = Ihn entsperren, oder STEPWISE_TOKEN_STORE=file setzen
keyring-fix-start = Ihn entsperren oder starten, oder STEPWISE_TOKEN_STORE=file setzen
err-store-file-damaged = die Anmeldedatei { $path } ist beschädigt: sie ist nicht das JSON, das stepwise schreibt (sie wurde gelesen, aber nicht verstanden). Sie enthält die gespeicherten Anmeldungen aller Gateways, und keine davon ist nutzbar: sie beiseitelegen (oder löschen)
err-login-file-damaged = { $why }, dann diesen Befehl erneut ausführen
err-store-file-read = die Anmeldedatei { $path } lässt sich nicht lesen: { $kind }. Ihre Berechtigungen prüfen
err-store-file-in-the-way = die Anmeldedatei { $path } lässt sich nicht lesen: { $kind }. Das Hindernis wegräumen, damit der Datenordner ein Ordner ist
err-store-file-is-folder = die Anmeldedatei { $path } lässt sich nicht lesen: sie ist ein Ordner, keine Datei. Diesen Ordner verschieben oder entfernen (stepwise schreibt seine Anmeldungen in eine Datei dieses Namens), dann erneut anmelden
err-store-file-remove = die Anmeldedatei { $path } lässt sich nicht löschen: { $kind }
err-store-file-folder = der Ordner der Anmeldedatei { $path } lässt sich nicht anlegen: { $kind }. Die Berechtigungen des Datenordners prüfen
err-store-file-create = die Anmeldedatei { $path } lässt sich nicht anlegen: { $kind }. Die Berechtigungen des Datenordners prüfen
err-store-file-write = die Anmeldedatei { $path } lässt sich nicht schreiben: { $kind }. Die Berechtigungen des Datenordners prüfen
err-store-file-replace = die Anmeldedatei { $path } lässt sich nicht ersetzen: { $kind }. Die Berechtigungen des Datenordners prüfen
# Anmelden im einfachen Terminal: stepwise login, logout und auth status
err-login-no-gateway = { $command } braucht ein Gateway: --api URL (oder STEPWISE_API oder `api` in der Konfigurationsdatei) angeben. Der eingebaute Simulator braucht keine Anmeldung
cli-api-from-env = Die Adresse des Gateways kam aus STEPWISE_API, nicht aus --api: sie dort korrigieren oder --api angeben (das Vorrang hat)
cli-api-from-config = Die Adresse des Gateways kam aus `api` in der Konfigurationsdatei { $path }, nicht aus --api: sie dort korrigieren oder --api angeben (das Vorrang hat)
err-login-cancelled = Anmeldung abgebrochen; nichts wurde aufbewahrt
err-login-keep-failed = das Token ließ sich nicht aufbewahren: { $detail }
err-login-read-failed = das Token ließ sich nicht lesen: { $detail }
err-login-terminal = das Token lässt sich nicht vom Terminal lesen: { $kind }. Es über die Standardeingabe geben: `stepwise login --with-token < token.txt`
err-login-stdin = das Token lässt sich nicht von der Standardeingabe lesen: { $kind }. Es als Text geben, eine Zeile
err-login-token-lines = die Standardeingabe enthält mehrere Zeilen, ein Token ist eine: das Token allein in einer Zeile angeben (ein von einer Mail oder einem Terminal umbrochenes Token muss wieder zusammengefügt werden); nichts wurde hinterlegt
err-login-token-refused = das Gateway unter { $gateway } hat dieses Token abgelehnt (HTTP 401), es wurde daher nicht hinterlegt. Den Betreiber des Gateways nach dem aktuellen Token fragen
err-login-token-dropped = das Token wurde nicht gespeichert: das Gateway unter { $gateway } antwortet, als hätte es kein Token erreicht (seine Challenge nennt keinen Fehler), und der Aufruf lief über den Proxy { $proxy }, der den Authorization-Header womöglich entfernt; ob das Gateway das Token annimmt, ist also nicht bekannt. NO_PROXY={ $host } setzen, wenn das Gateway ohne den Proxy erreichbar ist, oder den Betreiber des Proxys bitten, den Authorization-Header durchzulassen
err-login-token-untried-not-kept = das Token wurde nicht hinterlegt, da es nicht versucht werden konnte: { $why }. Hinterlegen Sie es, sobald der Proxy die Anfrage durchlässt (oder NO_PROXY ihn umgeht)
err-login-token-refused-signin = das Gateway unter { $gateway } hat dieses Token abgelehnt (HTTP 401), es wurde also nicht hinterlegt. Dieses Gateway bietet eine Anmeldung, deren Tokens sich selbst erneuern: `stepwise login` ausführen (ohne --with-token)
err-login-refused-through-proxy = Der Aufruf ging über den Proxy { $proxy } (aus { $from }), der den Authorization-Header unterwegs entfernen kann, sodass das Gateway kein Token sah: Setzen Sie vor allem anderen NO_PROXY={ $host } und versuchen Sie es erneut, wenn das Gateway ohne den Proxy erreichbar ist
err-login-token-scope = das Gateway unter { $gateway } hat dieses Token angenommen, sagt aber, ihm fehle der Scope { $scope } (sein WWW-Authenticate: insufficient_scope), die Schritte würden damit also abgelehnt: es wurde nicht hinterlegt. Bei dem, der die Tokens ausgibt, eines mit diesem Scope erbitten
err-login-token-scope-unnamed = das Gateway unter { $gateway } hat dieses Token angenommen, sagt aber, ihm fehle ein Scope, den es nicht nennt (sein WWW-Authenticate: insufficient_scope), die Schritte würden damit also abgelehnt: es wurde nicht hinterlegt. Den Betreiber des Gateways fragen, welchen, und bei dem, der die Tokens ausgibt, eines damit erbitten
err-login-kept-unchanged = { $words }. Die zuvor für dieses Gateway hinterlegte Anmeldung bleibt unverändert
err-login-no-token = die Standardeingabe enthält kein brauchbares Token: eine Zeile sichtbarer Zeichen geben (ohne Leerzeichen), höchstens 8 KiB
err-logout-failed = das Token ließ sich nicht entfernen: { $detail }
err-logout-unreached = der Widerruf beim Identitätsanbieter ist gescheitert ({ $why }), daher bleibt die Anmeldung hier gespeichert: ihr Erneuerungstoken bleibt beim Anbieter gültig, und `stepwise logout` kann es widerrufen, sobald der Anbieter erreichbar ist. Um sie hier ohne Widerruf zu vergessen, `stepwise logout --forget` ausführen
err-logout-wait = der Widerruf beim Identitätsanbieter ist vorerst gescheitert ({ $why }), und der Anbieter bittet, { $wait } zu warten, daher bleibt die Anmeldung hier gespeichert: nach dieser Wartezeit `stepwise logout` erneut ausführen, um sie zu widerrufen. Um sie hier ohne Widerruf zu vergessen, `stepwise logout --forget` ausführen
err-logout-proxy = der Widerruf beim Identitätsanbieter ist gescheitert: { $words }. Die Anmeldung bleibt hier gespeichert, bis `stepwise logout` sie widerrufen kann; um sie hier ohne Widerruf zu vergessen, `stepwise logout --forget` ausführen
err-logout-unreached-access = der Widerruf beim Identitätsanbieter ist gescheitert ({ $why }), daher bleibt die Anmeldung hier gespeichert: ihr Token bleibt beim Anbieter gültig, bis es abläuft, und `stepwise logout` kann es widerrufen, sobald der Anbieter erreichbar ist. Um sie hier ohne Widerruf zu vergessen, `stepwise logout --forget` ausführen
# Die Geräteanmeldung des Gateways: Discovery und die Antworten des Identitätsanbieters; { $said } ist der eigene Fehler des Anbieters
err-signin-endpoint-device = Adresse
err-signin-endpoint-token = Token-Adresse
err-signin-endpoint-verification = Bestätigungsadresse
err-signin-address-not-url = keine URL
err-signin-address-plain-http = reines http hinter einem https-Gateway
err-signin-address-not-http = keine http(s)-URL
err-signin-address-no-host = kein Host
err-signin-address = die Anmelde-{ $what } des Gateways { $url } ist unbrauchbar: { $why }. Dem Betreiber des Gateways melden, oder mit `stepwise login --with-token` anmelden
err-signin-address-provider = die Anmelde-{ $what } des Identitätsanbieters { $url } ist unbrauchbar: { $why }. Der Code kann dort nicht bestätigt werden: den Betreiber des Identitätsanbieters informieren
err-signin-discovery-status = das Gateway unter { $gateway } antwortete auf die Anmelde-Discovery mit HTTP { $status } ({ $path }). Später erneut versuchen, oder mit `stepwise login --with-token` anmelden
err-signin-discovery-blocked = die Anmeldungserkennung bei { $gateway } bekam eine Webseite mit HTTP { $status }{ $said }, nicht die Antwort des Gateways: etwas vor dem Gateway (eine Firewall, eine Web Application Firewall oder ein Reverse Proxy) hat sie abgewiesen, ob das Gateway eine Anmeldung bietet, ist also unbekannt. Den Betreiber des Netzes fragen, ob er diese Adresse sperrt
err-signin-discovery-silent = das Gateway unter { $gateway } hat die Verbindung angenommen, aber seine Anmelde-Discovery ({ $path }) hat nicht rechtzeitig geantwortet. Später erneut versuchen; hält es an, den Betreiber des Gateways informieren
err-signin-discovery-named = das Gateway unter { $gateway } nennt seine Anmelde-Metadaten unter { $url } (in der Challenge seiner HTTP-401-Antwort), und diese Adresse war nicht nutzbar ({ $met }): die Antwort des Gateways selbst war in Ordnung, seine Anmeldeadresse nicht. Dem Betreiber des Gateways Bescheid geben; wer den Identitätsanbieter dieses Gateways kennt, gibt ihn mit --issuer (oder STEPWISE_ISSUER, `issuer` in der Konfigurationsdatei) an
named-met-page = eine Webseite, keine JSON-Metadaten
named-met-not-http = sie ist keine http(s)-Adresse
named-met-no-server = ihre Metadaten nennen keinen Autorisierungsserver
err-signin-discovery-not-json = das Anmelde-Discovery-Dokument des Gateways ({ $path }) ist kein gültiges JSON. Dem Betreiber des Gateways melden, oder mit `stepwise login --with-token` anmelden
err-signin-issuer-not-json = die Metadaten des Identitätsanbieters ({ $url }) sind kein gültiges JSON: --issuer (oder STEPWISE_ISSUER) prüfen, falls angegeben, sonst den Betreiber des Gateways informieren; oder mit `stepwise login --with-token` anmelden
err-signin-issuer-page = die Metadaten des Identitätsanbieters ({ $url }) sind eine Webseite{ $said }, nicht sein JSON: die Adresse ist eine Website oder ein Portal, nicht der Identitätsanbieter. --issuer (oder STEPWISE_ISSUER) prüfen, falls angegeben, sonst den Betreiber des Gateways informieren; antwortet ein Portal an Stelle des Anbieters, den Betreiber des Netzes fragen
err-signin-discovery-missing = dem Anmelde-Discovery-Dokument des Gateways fehlt { $field }: es bietet keine Geräteanmeldung. Mit `stepwise login --with-token` anmelden
err-login-no-device = --device verlangt eine Geräteanmeldung, und der Identitätsanbieter für { $gateway } bietet keine (seinen Metadaten fehlt device_authorization_endpoint). Ohne --device auf einem Rechner anmelden, auf dem sich ein Browser öffnen lässt, oder ein Token speichern, das der Betreiber des Gateways gibt (`stepwise login --with-token`)
err-signin-not-offered-status = das Gateway unter { $gateway } bietet keine Anmeldung (kein /.well-known/oauth-authorization-server, HTTP { $status }). Ist --api richtig, nimmt es ein festes Token von seinem Betreiber: dieses Token mit `stepwise login --with-token` aufbewahren
err-signin-not-offered = das Gateway unter { $gateway } bietet keine Anmeldung (kein /.well-known/oauth-authorization-server). Ist --api richtig, nimmt es ein festes Token von seinem Betreiber: dieses Token mit `stepwise login --with-token` aufbewahren
err-login-not-needed = das Gateway unter { $gateway } bietet keine Anmeldung, und es hat ohne Token geantwortet: Es braucht hier keines, es gibt also nichts anzumelden oder zu speichern. `stepwise steps --car ID` einfach so ausführen
err-login-refused-at-once = angemeldet, aber das Gateway unter { $gateway } hat das eben ausgestellte Token des Identitätsanbieters abgelehnt (HTTP 401, einmal versucht): es nimmt keines der Tokens dieses Anbieters, so wie sie angefordert werden. Den Betreiber des Gateways fragen, welche Audience und Scopes es will, und die Audience mit --audience oder `audience` in der Konfigurationsdatei angeben; die Anmeldung bleibt bis dahin gespeichert (`stepwise logout` vergisst sie)
err-login-scope-at-once = angemeldet, aber das Gateway unter { $gateway } sagt, dem eben vom Identitätsanbieter ausgestellten Token fehle der Scope { $scope } (sein WWW-Authenticate: insufficient_scope, einmal versucht), also würden die Schritte damit abgewiesen. { $why } Die Anmeldung bleibt bis dahin gespeichert (`stepwise logout` vergisst sie)
login-scope-not-granted = Der Anbieter gewährte nur { $granted }: seinen Administrator bitten, dem Client stepwise { $scope } zu gewähren.
login-scope-asked = Die Anmeldung forderte { $scope } an, eine neue Anmeldung fordert also dasselbe an: den Administrator des Anbieters fragen, ob er stepwise { $scope } gewährt, oder den Betreiber des Gateways, welchen Scope oder welche Audience es will.
login-scope-not-asked = Erneut anmelden und ihn anfordern: `stepwise login --scope "{ $ask }"` (oder `scopes` in der Konfigurationsdatei).
err-signin-too-large = die Antwort von { $url } ist größer als { $kib } KiB. Prüfen, ob --api auf ein Schritte-Gateway zeigt
err-signin-compressed-proxy = der Anmeldeaufruf an { $url } kam über den Proxy { $proxy } komprimiert ({ $encoding }) zurück, obwohl stepwise Antworten unverändert anfordert: der Proxy oder der Server dahinter komprimiert sie. Den Betreiber des Proxys fragen oder dem Betreiber des Gateways Bescheid geben; NO_PROXY={ $host } setzen, wenn es ohne den Proxy erreichbar ist, was auch zeigt, wer es tut
err-signin-compressed = der Anmeldeaufruf an { $url } kam komprimiert ({ $encoding }) zurück, obwohl stepwise Antworten unverändert anfordert: etwas vor dem Identitätsanbieter komprimiert sie. Dem Betreiber des Gateways Bescheid geben
err-signin-redirected = der Anmeldeaufruf an { $url } wurde mit einer Umleitung nach { $to } beantwortet; stepwise schickt keinen Anmeldecode und kein Token an eine andere Adresse weiter. Beim Administrator des Gateways die eigene Adresse des Anmeldedienstes erfragen
err-signin-code-refused = der Identitätsanbieter verweigerte einen Code ({ $said }). Später erneut versuchen, oder mit `stepwise login --with-token` anmelden
err-signin-code-busy = der Identitätsanbieter kann derzeit keinen Code geben ({ $said }). Eine Minute warten und `stepwise login` erneut ausführen, oder mit `stepwise login --with-token` anmelden
err-signin-code-busy-wait = der Identitätsanbieter kann derzeit keinen Code geben ({ $said }) und bittet, { $wait } zu warten. `stepwise login` nach dieser Wartezeit erneut ausführen
err-signin-metadata-busy = der Identitätsanbieter unter { $issuer } kann seine Anmelde-Metadaten derzeit nicht geben (HTTP { $status }): er ist ausgelastet oder begrenzt Anfragen, und der Aussteller stimmt. In einer Minute erneut versuchen
err-signin-metadata-busy-wait = der Identitätsanbieter unter { $issuer } kann seine Anmelde-Metadaten derzeit nicht geben (HTTP { $status }) und bittet, { $wait } zu warten: er ist ausgelastet oder begrenzt Anfragen, und der Aussteller stimmt. Nach dieser Wartezeit erneut versuchen
err-signin-not-device-code = die Antwort des Identitätsanbieters unter { $url } ist kein Gerätecode (RFC 8628). Die Adresse des Ausstellers prüfen (--issuer, STEPWISE_ISSUER oder `issuer` in der Konfigurationsdatei), falls einer gesetzt ist, sonst den Betreiber des Gateways informieren
err-signin-device-code-lacks = die Antwort des Identitätsanbieters unter { $url } ist ein Gerätecode ohne { $member } (RFC 8628 §3.2), daher kann die Anmeldung nicht weitergehen. Den Betreiber des Anbieters informieren
err-signin-bad-device-code = der Identitätsanbieter gab einen unbrauchbaren Gerätecode. Die Adresse des Ausstellers prüfen (--issuer, STEPWISE_ISSUER oder `issuer` in der Konfigurationsdatei), falls einer gesetzt ist, sonst den Betreiber des Gateways informieren
err-signin-unsafe-user-code = der Identitätsanbieter gab einen Code, der sich nicht sicher anzeigen lässt ({ $code }). Die Adresse des Ausstellers prüfen (--issuer, STEPWISE_ISSUER oder `issuer` in der Konfigurationsdatei), falls einer gesetzt ist, sonst den Betreiber des Gateways informieren
err-signin-not-token-answer = die Token-Antwort des Identitätsanbieters ist unbrauchbar: keine Token-Antwort (RFC 6749). Die Adresse des Ausstellers prüfen (--issuer, STEPWISE_ISSUER oder `issuer` in der Konfigurationsdatei), falls einer gesetzt ist, sonst den Betreiber des Gateways informieren
err-signin-not-bearer = die Token-Antwort des Identitätsanbieters ist unbrauchbar: das Token ist kein Bearer-Token. Die Adresse des Ausstellers prüfen (--issuer, STEPWISE_ISSUER oder `issuer` in der Konfigurationsdatei), falls einer gesetzt ist, sonst den Betreiber des Gateways informieren
err-signin-token-characters = die Token-Antwort des Identitätsanbieters ist unbrauchbar: das Token enthält Zeichen, die ein Header nicht tragen kann. Die Adresse des Ausstellers prüfen (--issuer, STEPWISE_ISSUER oder `issuer` in der Konfigurationsdatei), falls einer gesetzt ist, sonst den Betreiber des Gateways informieren
err-signin-token-empty = die Token-Antwort des Identitätsanbieters ist unbrauchbar: ihr access_token ist leer. Den Betreiber des Anbieters informieren; ist ein Aussteller angegeben (--issuer, STEPWISE_ISSUER oder `issuer` in der Konfigurationsdatei), prüfen, ob es der richtige ist
err-signin-stopped = der Identitätsanbieter hat die Anmeldung beendet ({ $said }). `stepwise login` erneut ausführen
err-signin-grant-unsupported = der Identitätsanbieter bietet die Anmeldung mit einem Code auf einem anderen Gerät nicht an ({ $said }): eine erneute Anmeldung auf diese Weise bekommt dasselbe. Stattdessen im Browser anmelden, wo er das anbietet (`stepwise login` ohne --device, auf einem Rechner mit Desktop), oder ein Token mit `stepwise login --with-token` speichern; den Betreiber des Anbieters informieren, falls die Geräteanmeldung gehen sollte
err-signin-code-too-short = der Code des Identitätsanbieters gilt { $lives }, aber der Anbieter will nur alle { $every } abgefragt werden: der Code läuft ab, bevor er ein einziges Mal abgefragt werden kann, also kann keine Bestätigung durchkommen (es wurde nichts abgefragt). Den Betreiber des Anbieters informieren: Lebensdauer oder Abfrageintervall seiner Gerätecodes sind falsch eingestellt
err-signin-code-expired-early = der Identitätsanbieter meldete den Code nach { $after } als abgelaufen, obwohl er ihm { $lives } gab: keine Bestätigung hätte früher kommen können. Seine Uhr oder die Lebensdauer seiner Codes stimmt nicht (oder der Code wurde schon benutzt): dem Betreiber des Anbieters melden
err-signin-code-lifetime-none = der Gerätecode des Identitätsanbieters gilt laut seiner Antwort { $said } s (expires_in): er ist abgelaufen, bevor ihn jemand bestätigen kann, daher wurde nichts abgefragt. Den Betreiber des Anbieters informieren: die Lebensdauer seiner Gerätecodes ist falsch eingestellt
err-signin-poll-failing = während der Code auf Bestätigung wartete, ist der Identitätsanbieter { $times }-mal hintereinander gescheitert ({ $said }), daher wurde die Anmeldung aufgegeben. { $wait } warten, dann für einen neuen Code erneut anmelden; bleibt es so, den Betreiber des Anbieters informieren
err-signin-poll-failing-page = während der Code auf Bestätigung wartete, wurde die Token-Adresse des Identitätsanbieters { $times }-mal hintereinander mit einer Webseite beantwortet ({ $said }): Etwas vor dem Anbieter (ein Load Balancer oder ein Reverse-Proxy) scheitert, daher wurde die Anmeldung aufgegeben. { $wait } warten, dann für einen neuen Code erneut anmelden; bleibt es so, den Betreiber des Anbieters informieren
err-signin-limited = der Identitätsanbieter begrenzt Anfragen (HTTP 429) und bittet, { $wait } zu warten, länger als der Code gilt. `stepwise login` nach dieser Wartezeit erneut ausführen
err-signin-refresh-failed = der Identitätsanbieter konnte das Token nicht erneuern ({ $said }). In einer Minute erneut versuchen
err-signin-refresh-failed-wait = der Identitätsanbieter konnte das Token vorerst nicht erneuern ({ $said }) und bittet, { $secs } s zu warten. Dann erneut versuchen
err-signin-renewal-lost = die an { $url } gesendete Token-Erneuerung bekam keine Antwort (die Verbindung wurde nach der Anfrage geschlossen oder blieb stumm): der Identitätsanbieter hat die Anmeldung womöglich erneuert und dabei das hier aufbewahrte Refresh-Token verbraucht. Einmal erneut versuchen; meldet es dann, die Anmeldung sei verbraucht, mit `stepwise login` neu anmelden
err-signin-renewal-lost-proxy = die Token-Erneuerung bekam keine Antwort: { $why }. Hat die Erneuerung den Identitätsanbieter erreicht, hat er das hier gespeicherte Refresh-Token womöglich verbraucht: Sobald der Proxy Anfragen durchlässt, erneut versuchen; meldet er dann, die Anmeldung sei verbraucht, mit `stepwise login` neu anmelden
err-signin-keeping-failed = das Token konnte nicht gespeichert werden: { $detail }. Erneut anmelden
err-signin-opening-failed = der Token-Speicher ließ sich nicht öffnen: { $detail }. Erneut anmelden
err-over-revoked = die Anmeldung für { $gateway } ist abgelaufen oder wurde widerrufen ({ $said })
err-over-spent = die Anmeldung für { $gateway } wurde von einer früheren Erneuerung verbraucht, deren Antwort unterwegs verloren ging ({ $said }): der Identitätsanbieter hat sie vermutlich damals erneuert, und das hier aufbewahrte Refresh-Token ist verbraucht
err-over-marked = der Identitätsanbieter hat die Anmeldung für { $gateway } beendet ({ $said })
err-over-client-refused = der Identitätsanbieter lehnt die Client-ID { $client } der Anmeldung für { $gateway } ab ({ $said }): er kennt sie nicht, oder er lässt sie keine Anmeldungen mehr erneuern. Die dort für stepwise registrierte ID mit --client-id ID oder `client_id` in der Konfigurationsdatei angeben, oder den Administrator des Anbieters fragen, ob dieser Client noch zugelassen ist
err-over-no-renewal = der Identitätsanbieter lässt die Client-ID { $client } die Anmeldung für { $gateway } nicht erneuern ({ $said }): jede Anmeldung gilt so lange wie ihr Token, und erneutes Fragen ändert daran nichts. Um sich seltener anzumelden, den Administrator des Anbieters bitten, Refresh-Tokens für diesen Client zu erlauben
err-over-renewal-refused = der Identitätsanbieter hat die Erneuerung der Anmeldung für { $gateway } abgelehnt ({ $said }) und würde dieselbe Anfrage wieder ablehnen
err-over-refused-fresh = das Gateway lehnt sogar ein Token ab, das der Identitätsanbieter gerade erneuert hat: es nimmt keine Tokens dieses Anbieters, so wie sie angefordert werden, und eine erneute Anmeldung auf dieselbe Weise bringt dasselbe. Den Betreiber des Gateways fragen, welche Zielgruppe (Audience) und Scopes es erwartet, und die Audience mit --audience oder `audience` in der Konfigurationsdatei angeben
err-over-refused-new = das Gateway lehnt ein Token ab, das der Identitätsanbieter vor wenigen Minuten ausgestellt hat und das nicht erneuert werden kann: es nimmt keine Tokens dieses Anbieters, so wie sie angefordert werden, und eine erneute Anmeldung auf dieselbe Weise bringt dasselbe. Den Betreiber des Gateways fragen, welche Zielgruppe (Audience) und Scopes es erwartet, und die Audience mit --audience oder `audience` in der Konfigurationsdatei angeben
err-over-refused-unseen = das Gateway antwortet, als hätte es kein Token erreicht (seine Challenge nennt keinen Fehler), selbst mit einem, das der Identitätsanbieter gerade ausgestellt hat: etwas zwischen diesem Rechner und dem Gateway (ein Proxy, ein Load Balancer) verwirft womöglich den Authorization-Header, oder das Gateway nimmt keine Tokens dieses Anbieters. Die Betreiber des Netzes und des Gateways fragen; liegt es am Token, die Audience, die das Gateway erwartet, mit --audience oder `audience` in der Konfigurationsdatei angeben
err-over-no-token-address = die aufbewahrte Anmeldung hat keine brauchbare Token-Adresse

## stepwise doctor
# The words beside ✓ ! ✗ -, so no line depends on colour alone.
doctor-mark-ok = ok
doctor-mark-warning = Warnung
doctor-mark-failed = Fehler
doctor-mark-skipped = ausgelassen
# The name of each check, in the order they are shown.
doctor-check-config = Konfiguration
doctor-check-device-id = Gerätekennung
doctor-check-gateway = Gateway-Adresse
doctor-check-dns = Namensauflösung
doctor-check-proxy = Proxy
doctor-check-tcp = TCP-Verbindung
doctor-check-tls = TLS
doctor-check-client-cert = Client-Zertifikat
doctor-check-token = Token
doctor-check-clock = Uhrzeit
doctor-check-first-list = Erste Liste
doctor-check-refresh = Abruf per stepsID
doctor-check-next-step = Nächster Schritt
doctor-check-status-filter = Statusfilter
doctor-check-error-body = Fehlerantwort
doctor-check-events = Live-Ereignisse
doctor-check-guidance = Kundenseiten
doctor-summary = { $failed } Fehler, { $warnings ->
        [one] { $warnings } Warnung
       *[other] { $warnings } Warnungen
    }, { $ok } ok, { $skipped } ausgelassen
doctor-target-unusable = (Einstellungen unbrauchbar)
doctor-target-embedded = der eingebaute Simulator
doctor-skip = nicht ausgeführt
doctor-skip-settings = nicht ausgeführt: die Einstellungen sind unbrauchbar
doctor-skip-no-gateway = nicht ausgeführt: kein Gateway
doctor-skip-bad-address = nicht ausgeführt: keine brauchbare Gateway-Adresse
doctor-skip-unreachable = nicht ausgeführt: das Gateway ist nicht erreichbar
doctor-skip-proxy = nicht ausgeführt: kein Weg durch den Proxy
doctor-skip-insecure = nicht ausgeführt: keine sichere Verbindung zum Gateway
doctor-skip-ca-file = nicht ausgeführt: die CA-Datei ist unbrauchbar
doctor-skip-run-limit = nicht ausgeführt: die Grenze von { $limit } s für den ganzen doctor-Lauf war erreicht (seine bisher langsamste Antwort brauchte { $secs } s)
doctor-config-no-dir = kein Konfigurationsverzeichnis auf diesem System: es gelten die Vorgaben
doctor-config-none = keine unter { $path }: es gelten die Vorgaben
doctor-device-kept = gespeichert in { $path }
doctor-device-no-folder = nicht gespeichert: auf diesem Rechner ist kein Datenordner bekannt, daher ist jeder Lauf ein neues Gerät für das Gateway
doctor-config-read = { $path } gelesen
doctor-config-fix = Die Datei korrigieren oder STEPWISE_CONFIG auf eine andere Datei zeigen lassen
doctor-gateway-no-sim = kein Gateway eingestellt, und der eingebaute Simulator startet nicht: { $error }
doctor-gateway-unusable = { $address } ist unbrauchbar: { $why }
doctor-gateway-fix = --api etwa als https://gateway.example oder http://127.0.0.1:8080 angeben
doctor-gateway-fix-env = STEPWISE_API korrigieren, woher diese Adresse kam (oder --api angeben, das Vorrang hat), etwa als https://gateway.example oder http://127.0.0.1:8080
doctor-gateway-fix-config = `api` in der Konfigurationsdatei korrigieren, woher diese Adresse kam (oder --api angeben, das Vorrang hat), etwa als https://gateway.example oder http://127.0.0.1:8080
doctor-gateway-embedded = keins eingestellt: der eingebaute Simulator unter { $url }
doctor-gateway-from-env = { $url } (aus STEPWISE_API)
doctor-gateway-from-config = { $url } (aus `api` in der Konfigurationsdatei)
doctor-url-scheme = nur http und https werden unterstützt
doctor-url-no-host = es fehlt der Host
doctor-proxy-none = keiner: direkte Verbindung
doctor-proxy-no-proxy = NO_PROXY umgeht den Proxy für { $host }: direkte Verbindung
doctor-proxy-other-scheme = keiner für { $scheme }://-Gateways: { $var } ist gesetzt, gilt aber nur für Gateways des anderen Schemas; direkte Verbindung. Muss dieses Gateway über diesen Proxy gehen, { $wanted } (oder ALL_PROXY) setzen
doctor-proxy-used = { $proxy } (aus { $from })
doctor-proxy-407 = { $proxy } beantwortete den Gateway-Aufruf mit 407 Proxy Authentication Required: er verlangt Benutzername und Passwort
doctor-proxy-407-refused = { $proxy } beantwortete den Gateway-Aufruf mit 407 Proxy Authentication Required: er hat Benutzername und Passwort aus der Proxy-Variable abgelehnt
doctor-proxy-401 = { $proxy } hat den Gateway-Aufruf mit HTTP 401 und einer Anmeldung (Basic) beantwortet: der eigenen des Proxys oder der eines Webservers dahinter
doctor-proxy-401-refused = { $proxy } hat den Gateway-Aufruf mit HTTP 401 und einer Anmeldung (Basic) beantwortet, obwohl die Proxy-Variable einen Benutzernamen und ein Passwort enthält
doctor-proxy-answered = { $proxy } beantwortete den Gateway-Aufruf selbst mit HTTP { $status }: die Anfrage hat das Gateway nie erreicht
doctor-proxy-401-page = der Aufruf des Gateways über { $proxy } bekam eine HTTP-401-Webseite ohne Challenge: die eigene des Proxys oder eine, die er von vor dem Gateway weitergab (ein Portal, ein Reverse-Proxy), die eine eigene Anmeldung verlangt
doctor-proxy-bare-401 = der Gateway-Aufruf über { $proxy } bekam ein bloßes HTTP 401, ohne Inhalt und ohne Challenge: unten als das des Gateways beurteilt (ein Token), obwohl auch der Proxy selbst es gegeben haben kann
doctor-proxy-gateway-down = { $proxy } hat den Gateway-Aufruf angenommen und HTTP { $status } geantwortet: es konnte das Gateway nicht erreichen, das nicht läuft (siehe Fehlerantwort)
doctor-proxy-tunnel = { $proxy } (aus { $from }) { $why }
doctor-tunnel-timeout = hat binnen { $secs } s nicht auf CONNECT geantwortet
doctor-tunnel-broken = hat die CONNECT-Anfrage abgebrochen: { $error }
doctor-tunnel-refused = hat den Tunnel abgelehnt: { $status }
doctor-tunnel-limited = hat CONNECT selbst mit { $status } beantwortet: der Proxy begrenzt die Anfragen (keine Regel gegen dieses Ziel)
doctor-tunnel-none = hat auf CONNECT mit { $status } geantwortet: es öffnet überhaupt keine Tunnel, ist also ein Webserver oder ein Proxy, der https:// nicht durchleiten kann. Das Gateway wurde nicht gefragt
doctor-tunnel-not-http = antwortete auf CONNECT ohne HTTP ({ $said }): die Proxy-Variable nennt etwas, das kein HTTP-Proxy ist
doctor-tunnel-closed = hat die Verbindung ohne Antwort auf CONNECT geschlossen: ob es den Tunnel durchließe, ist nicht bekannt. Erneut versuchen; bleibt es so, den Betreiber des Proxys fragen, ob er CONNECT zu diesem Host durchlässt
doctor-tunnel-unreached = konnte das Gateway durch den Tunnel nicht erreichen: { $status }
doctor-tunnel-password-wanted = verlangt Benutzername und Passwort für den Tunnel ({ $status }): diese als http://benutzer:passwort@proxy:port in die Proxy-Variable eintragen
doctor-tunnel-password-refused = hat Benutzername und Passwort aus der Proxy-Variable abgelehnt ({ $status }): diese prüfen
doctor-tunnel-portal = hat den Tunnel mit { $status } ohne Challenge beantwortet: eine eigene Anmeldung (die eines Portals), die kein Benutzername und Passwort in der Proxy-Variable beantwortet. Sich in einem Browser auf diesem Rechner dort anmelden oder den Betreiber des Proxys fragen
doctor-tunnel-windows = verlangt für den Tunnel eine Windows-Anmeldung ({ $status }, Negotiate oder NTLM), die stepwise nicht leisten kann: kein Benutzername und Passwort in der Proxy-Variable beantwortet sie. Den Betreiber des Proxys bitten, diesen Host ohne sie durchzulassen, oder NO_PROXY dafür setzen, wenn er direkt erreichbar ist
doctor-fix-proxy = Die Proxy-Variable prüfen oder NO_PROXY für diesen Host setzen
doctor-fix-tunnel-refused = Die Proxy-Variable stimmt: der Proxy hat geantwortet und lehnt dieses Ziel ab. Den Betreiber des Proxys bitten, CONNECT zu { $host } durchzulassen, oder NO_PROXY={ $host } setzen, wenn das Gateway direkt erreichbar ist
doctor-fix-tunnel-none = { $from } prüfen: es muss einen HTTP-Proxy nennen, der https tunnelt (Host und Port; oft Port 3128 oder 8080)
doctor-fix-tunnel-retry = Erneut versuchen; bleibt es dabei, den Betreiber des Proxys fragen oder NO_PROXY={ $host } setzen, wenn das Gateway direkt erreichbar ist
doctor-fix-tunnel-unreached = Der Proxy konnte { $host } nicht erreichen: prüfen, ob das Gateway läuft und der Host in --api stimmt; wenn ja, beim Betreiber des Proxys nachfragen
doctor-dns-address = { $ip } ist eine Adresse: nichts aufzulösen
doctor-dns-address-proxy = der Proxy { $ip } ist eine Adresse: nichts aufzulösen (der Proxy löst den Namen des Gateways auf)
doctor-dns-resolved-proxy = der Proxy { $host } → { $addrs } (der Proxy löst den Namen des Gateways auf)
doctor-dns-failed = { $host } lässt sich nicht auflösen: { $error }
doctor-dns-failed-proxy = der Proxy { $host } lässt sich nicht auflösen: { $error }
doctor-dns-fix = Den Hostnamen in --api (oder in der Proxy-Variable) und die DNS-Einstellungen dieses Rechners prüfen
doctor-dns-fix-proxy = Den Namen des Proxys in der Proxy-Variable und die DNS-Einstellungen dieses Rechners prüfen, oder NO_PROXY für den Host des Gateways setzen, wenn es ohne den Proxy erreichbar ist
doctor-proxy-unresolved = { $proxy } (aus { $from }): sein Name ist dem DNS dieses Rechners unbekannt
doctor-dns-timeout = keine Antwort für { $host } binnen { $secs } s
doctor-dns-timeout-proxy = keine Antwort für den Proxy { $host } binnen { $secs } s
doctor-dns-timeout-fix = Die DNS-Einstellungen dieses Rechners prüfen
doctor-tcp-no-address = keine Adresse
doctor-tcp-timeout = { $addr }: keine Antwort binnen { $secs } s
doctor-tcp-failed = keine Verbindung zum Gateway: { $error }
doctor-tcp-failed-proxy = keine Verbindung zum Proxy: { $error }
doctor-tcp-fix = Prüfen, ob das Gateway läuft; den Port in --api und eine etwaige Firewall prüfen
doctor-tcp-connected = verbunden mit { $addr } in { $ms } ms
doctor-tcp-connected-proxy = verbunden mit dem Proxy unter { $addr } in { $ms } ms
doctor-tls-plain = nicht verwendet: die Adresse ist einfaches http://
doctor-tls-skipped-cert = nicht versucht: das Client-Zertifikat ist unbrauchbar
doctor-tls-bad-name = { $host } ist kein brauchbarer TLS-Name
doctor-tls-certificate = Zertifikat
doctor-tls-issued = Zertifikat für { $subject }, ausgestellt von { $issuer }
doctor-tls-timeout = kein TLS-Handshake binnen { $secs } s
doctor-tls-timeout-fix = Prüfen, ob der Port in --api TLS spricht; wenn ja, den Betreiber des Gateways informieren
doctor-tls-trusted = { $version }; { $issued }; vertrauenswürdig
doctor-tls-trusted-left = { $version }; { $issued }, noch { $days ->
        [one] { $days } Tag
       *[other] { $days } Tage
    } gültig; vertrauenswürdig
doctor-tls-ends-soon = Den Betreiber des Gateways informieren, dass sein Zertifikat bald abläuft
doctor-tls-asks-cert = { $issued }; vertrauenswürdig; das Gateway verlangt ein Client-Zertifikat
doctor-tls-unknown-issuer = { $issued }: dem Aussteller wird hier nicht vertraut (unbekannter Aussteller)
doctor-tls-unknown-issuer-proxy = { $issued }: dem Aussteller wird hier nicht vertraut (unbekannter Aussteller) (über den Proxy { $proxy }, der TLS womöglich aufbricht)
doctor-tls-add-ca-file = --ca-file { $path } hinzufügen
doctor-tls-add-ca-of = --ca-file DATEI hinzufügen, DATEI ist das Zertifikat (PEM) von { $issuer }; beim Netzwerkadministrator erfragen
doctor-tls-add-ca = --ca-file DATEI mit dem Zertifikat (PEM) der ausstellenden Stelle hinzufügen
doctor-tls-use-ca-file = --ca-file { $path } verwenden: Die verwendete Datei der Zertifizierungsstelle ({ $given }) hat dieses Zertifikat nicht signiert
doctor-tls-ca-file-not-issuer = Die verwendete Datei der Zertifizierungsstelle ({ $given }) hat dieses Zertifikat nicht signiert: Sie enthält vielleicht ein Serverzertifikat statt der Stelle oder eine seither neu erstellte Stelle. Das aktuelle Zertifikat der Stelle (PEM) beim Betreiber des Gateways anfordern
doctor-tls-intermediate-missing = Die verwendete Zertifizierungsstellen-Datei ({ $given }) enthält { $issuer } nicht, das dieses Zertifikat signiert hat, und das Gateway sandte keine Zwischenstelle mit. Entweder sendet das Gateway seine Zwischenstelle nicht: den Betreiber bitten, die ganze Kette auszuliefern (Zertifikat, dann Zwischenstellen); bis dahin hilft es, das Zertifikat von { $issuer } in die Datei aufzunehmen. Oder die Datei enthält eine andere Stelle: das Zertifikat der Stelle des Gateways (PEM) bei seinem Betreiber holen
doctor-tls-expired = { $issued }: abgelaufen
doctor-tls-expired-ago = { $issued }: seit { $days ->
        [one] { $days } Tag
       *[other] { $days } Tagen
    } abgelaufen
doctor-fix-date-operator = Das Datum dieses Rechners prüfen; stimmt es, den Betreiber des Gateways informieren
doctor-tls-not-yet = { $issued }: noch nicht gültig
doctor-fix-date = Datum und Uhrzeit dieses Rechners prüfen
doctor-tls-wrong-host = { $issued }: nicht für den Host in --api ausgestellt
doctor-tls-wrong-host-fix = In --api den Hostnamen oder die Adresse verwenden, für die das Zertifikat ausgestellt ist
doctor-tls-wrong-host-names = { $issued }: ausgestellt für { $names }, nicht für den Host in --api
doctor-tls-wrong-host-names-fix = In --api einen Namen verwenden, für den das Zertifikat ausgestellt ist ({ $names }), oder das Zertifikat des Gateways für den verwendeten Namen ausstellen lassen
doctor-tls-no-host-names = { $issued }: es nennt keinen Host (kein Subject Alternative Name; der Common Name allein wird nicht gelesen)
doctor-tls-no-host-names-fix = Das Zertifikat des Gateways mit seinem Hostnamen als Subject Alternative Name neu ausstellen lassen; kein --api hilft hier
doctor-tls-old-version = { $issued }: ein X.509-Zertifikat der Version 1, das TLS nicht mehr annimmt
doctor-tls-old-version-fix = Das Zertifikat des Gateways als Version 3 neu ausstellen lassen, mit seinem Hostnamen als alternativem Subjektnamen; kein --api, --ca-file oder Client-Zertifikat kann das beheben
doctor-tls-closed = der Server hat die Verbindung angenommen und während des TLS-Handshakes geschlossen: er spricht auf diesem Port vielleicht kein TLS oder lehnt diesen Client ab. Den Port in --api prüfen
doctor-tls-authority-as-server = { $issued }: Zertifikat einer Zertifizierungsstelle (CA:TRUE) als Serverzertifikat verwendet
doctor-tls-authority-as-server-fix = Den Betreiber des Gateways bitten, ein von dieser Stelle signiertes Serverzertifikat zu verwenden; das Zertifikat der Stelle für --ca-file behalten
doctor-tls-not-tls = die Gegenstelle spricht kein TLS
doctor-tls-not-tls-fix = Den Port prüfen, oder http:// verwenden, wenn das Gateway kein TLS hat
doctor-tls-refused = das Gateway lehnte den Handshake ab ({ $alert })
doctor-tls-refused-fix = --api prüfen; stimmt es, den Betreiber des Gateways informieren
doctor-tls-wants-cert = das Gateway verlangt ein Client-Zertifikat
doctor-fix-client-cert = Eines mit --client-cert DATEI --client-key DATEI angeben
doctor-tls-other = fehlgeschlagen: { $error }
doctor-tls-other-fix = --api, --ca-file und das Client-Zertifikat prüfen
doctor-tls-proxy-cut = der Proxy { $proxy } hat den Tunnel zu { $host } geöffnet, dann brach der TLS-Handshake darin ab ({ $why }): der Proxy oder etwas dahinter hat ihn getrennt
doctor-tls-proxy-cut-fix = Beim Betreiber des Proxys nachfragen, ob er TLS zu diesem Host durchlässt, oder NO_PROXY={ $host } setzen, wenn das Gateway ohne den Proxy erreichbar ist
doctor-cert-required = keins angegeben, aber das Gateway verlangt eines
doctor-cert-fix-config = Eines mit --client-cert DATEI --client-key DATEI angeben (oder client_cert/client_key in der Konfigurationsdatei)
doctor-cert-not-asked = keins angegeben; das Gateway hat keins verlangt
doctor-cert-none = keins angegeben
doctor-cert-none-plain = keins angegeben (einfaches http://)
doctor-cert-unusable-plain = bei einfachem http:// nicht vorgelegt, einem https://-Gateway könnte es aber nicht vorgelegt werden: { $why }
doctor-cert-about = { $path }: { $subject }, ausgestellt von { $issuer }
doctor-cert-refused = { $about }: vom Gateway abgelehnt ({ $alert })
doctor-cert-unsupported = { $about }: das Gateway hat es als nicht unterstützt abgelehnt; meist ist es nicht für einen Client ausgestellt (das Zertifikat eines Servers)
doctor-cert-fix-client-use = Ein für Client-Authentifizierung ausgestelltes Zertifikat verwenden
doctor-cert-expired-said = { $about }: laut Gateway abgelaufen
doctor-cert-not-taken = { $about }: vom Gateway nicht angenommen
doctor-cert-fix-authority = Ein Zertifikat verwenden, das von der Stelle ausgestellt ist, der das Gateway vertraut
doctor-cert-expired = { $about }: seit { $days ->
        [one] { $days } Tag
       *[other] { $days } Tagen
    } abgelaufen
doctor-cert-fix-new = Ein neues Client-Zertifikat anfordern
doctor-cert-not-yet = { $about }: noch nicht gültig
doctor-cert-ends-soon = { $about }: nur noch { $days ->
        [one] { $days } Tag
       *[other] { $days } Tage
    } gültig
doctor-cert-fix-soon = Bald ein neues Client-Zertifikat anfordern
doctor-cert-ok-left = { $about }; Schlüssel passt; noch { $days ->
        [one] { $days } Tag
       *[other] { $days } Tage
    } gültig
doctor-cert-ok = { $about }; Schlüssel passt
doctor-source-config-token = Token der Konfigurationsdatei
doctor-source-config-token-file = token_file der Konfigurationsdatei { $path }
doctor-source-nowhere = nirgends
doctor-token-wanted = keins angegeben, aber das Gateway verlangt eines
doctor-token-wanted-said = keins angegeben, aber das Gateway verlangt eines (HTTP 401) und sagt „{ $said }“
doctor-token-fix-give = Mit `stepwise login` anmelden oder eines mit --token-file PFAD, STEPWISE_TOKEN oder `token` in der Konfigurationsdatei angeben
doctor-token-fix-fixed = Es bietet keine Anmeldung: sein Token kommt von dem, der es betreibt. Dieses Token mit `stepwise login --with-token` hinterlegen oder mit --token-file PFAD, STEPWISE_TOKEN oder `token` in der Konfigurationsdatei angeben
doctor-token-embedded = keins nötig für den eingebauten Simulator
doctor-token-not-asked = keins angegeben; das Gateway hat keins verlangt
doctor-token-not-checked = keines angegeben; nicht geprüft: kein Schritte-Gateway hat geantwortet
doctor-token-not-checked-unusable = keines angegeben; nicht geprüft: was antwortete, war nicht verwendbar (die Zeile Erste Liste sagt, wie)
doctor-token-none-limited = keines angegeben; nicht geprüft: Anfragen werden begrenzt (HTTP 429)
doctor-token-none-failing = keines angegeben; nicht geprüft: die Antworten waren Fehler (HTTP 5xx)
doctor-fix-proxy-password = Der Proxy verlangt Benutzername und Passwort: diese in die Proxy-Variable eintragen (http://benutzer:passwort@proxy:port)
doctor-fix-proxy-password-refused = Der Proxy hat Benutzername und Passwort aus der Proxy-Variable abgelehnt: sie prüfen (Zeichen wie @ : / % darin müssen prozentkodiert sein)
doctor-fix-not-a-gateway = Diese Adresse ist kein Steps-Gateway: --api die Basis-URL geben, unter der pims/subscription/steps liegt
doctor-fix-client-cert-front = Das TLS-Frontend des Gateways verlangt ein Client-Zertifikat: eines mit --client-cert DATEI --client-key DATEI angeben
doctor-fix-gateway-failed = Das Gateway ist ausgefallen: in einer Minute erneut versuchen; bleibt es dabei, den Betreiber des Gateways informieren
doctor-fix-call-not-offered = Die Liste funktioniert unter diesem --api: das Gateway bietet diesen Aufruf nicht an, oder etwas davor leitet ihn nicht weiter. Dem Betreiber des Gateways melden
doctor-fix-proxy-5xx = Der Proxy antwortete mit seiner eigenen Fehlerseite: er hat das Gateway nicht erreicht. Host und Port in --api prüfen und ob das Gateway läuft; stimmen sie, den Betreiber des Proxys fragen
doctor-fix-proxy-loopback = Das Gateway ist auf diesem Rechner ({ $host }), und { $from } schickt seine Anfragen an diesen Proxy: er (oder ein Proxy, an den er weiterleitet) erreicht die eigenen Adressen dieses Rechners nicht. NO_PROXY={ $host } setzen
doctor-fix-loopback-down = Unter { $host }:{ $port } lauscht auf diesem Rechner nichts (direkt versucht): Das Gateway läuft dort nicht, daher konnte auch der Proxy es nicht erreichen. Prüfen, ob es läuft und ob der Port in --api stimmt
doctor-guidance-not-a-page = antwortete 200 mit { $kind } und ohne Sprache: keine Anleitungsseite (die Sammelseite eines Portals?), daher führt der QR-Code zu docs_base_url oder zu den archivierten Entwicklerseiten
doctor-token-embedded-given = Quelle: { $source }; wird nicht an den eingebauten Simulator gesendet
doctor-token-expired = Quelle: { $source }; abgelaufen seit { $ago }
doctor-token-fix-new = Ein neues Token besorgen
doctor-token-login-unreadable = keines gesendet: { $why }
doctor-token-fix-login-damaged = Sobald sie beiseitegelegt ist, mit `stepwise login` neu anmelden oder ein Token mit --token-file PFAD, STEPWISE_TOKEN oder `token` in der Konfigurationsdatei angeben
doctor-token-login-unreadable-unneeded = keines gesendet, und das Gateway hat ohne Token geantwortet. Aufbewahrte Anmeldung: { $why }
doctor-token-expired-taken = aus { $source }; laut Ablaufzeit seit { $ago } abgelaufen, doch das Gateway hat es angenommen
doctor-token-fix-new-soon = Ein neues Token besorgen, bevor das Gateway dieses ablehnt
doctor-token-refused = Quelle: { $source }; das Gateway lehnte es ab (HTTP 401)
doctor-token-dropped = Quelle: { $source }; das Gateway antwortet, als hätte es kein Token erreicht (seine Challenge nennt keinen Fehler), und die Anfrage lief über den Proxy { $proxy }: der Proxy entfernt womöglich den Authorization-Header
doctor-token-refused-said = Quelle: { $source }; das Gateway lehnte es ab (HTTP 401) mit den Worten „{ $said }“
doctor-token-scope = Quelle: { $source }; das Gateway nahm es an, sagt aber, dass ihm ein Scope fehlt (HTTP { $status }, insufficient_scope)
doctor-token-fix-refused = Ein neues Token besorgen oder prüfen, ob es für dieses Gateway bestimmt ist
doctor-token-fix-dropped = Ein neues Token würde ebenso abgelehnt: NO_PROXY für diesen Host setzen, wenn das Gateway ohne den Proxy erreichbar ist, oder den Betreiber des Proxys bitten, den Authorization-Header durchzulassen
doctor-token-fix-beside-file = Eine für dieses Gateway gespeicherte Anmeldung wird von ihm angenommen (eben versucht), und --token-file hat Vorrang vor ihr: --token-file weglassen, um diese Anmeldung zu nutzen, oder das aktuelle Token dieses Gateways in die Datei schreiben
doctor-token-fix-beside-environment = Eine für dieses Gateway gespeicherte Anmeldung wird von ihm angenommen (eben versucht), und STEPWISE_TOKEN hat Vorrang vor ihr: STEPWISE_TOKEN entfernen, um diese Anmeldung zu nutzen, oder die Variable auf das aktuelle Token dieses Gateways setzen
doctor-token-fix-beside-refused = Die für dieses Gateway gespeicherte Anmeldung wird ebenfalls abgelehnt (eben versucht): das aktuelle Token dieses Gateways besorgen und die gespeicherte Anmeldung erneuern (`stepwise login`, oder `stepwise login --with-token`, wo das Gateway keine Anmeldung bietet)
doctor-token-expires = Quelle: { $source }; läuft ab in { $within }
doctor-token-not-tried = Quelle: { $source }; nicht versucht (das Gateway war nicht erreichbar)
doctor-token-not-tried-unusable = Quelle: { $source }; nicht beurteilt: was antwortete, war nicht verwendbar (die Zeile Erste Liste sagt, wie)
doctor-token-failing = Quelle: { $source }; nicht beurteilt: jede Antwort war ein Fehler (HTTP 5xx), der nichts über das Token sagt
doctor-token-limited = Quelle: { $source }; nicht versucht: Anfragen werden begrenzt (HTTP 429)
doctor-token-took = Quelle: { $source }; vom Gateway angenommen (sein Ablaufdatum steht nicht darin)
doctor-token-unchecked = Quelle: { $source }; gesendet, aber das Gateway antwortet auch ohne Token: es prüft hier keins, hat dieses also weder angenommen noch abgelehnt
doctor-token-renewed = Quelle: { $source }; das Gateway lehnte das aufbewahrte Token ab (HTTP 401) und nahm das dafür erneuerte an, wie jeder Befehl es erneuert
doctor-token-renewal-failed = Quelle: { $source }; das Gateway lehnte es ab (HTTP 401), und es zu erneuern, wie jeder Befehl es täte, schlug fehl: { $why }
doctor-token-due-renewal-failed = Quelle: { $source }; sein Token war abgelaufen, und es zu erneuern, wie jeder Befehl es täte, schlug fehl: { $why }
doctor-why-timeout = keine Antwort binnen { $secs } s
doctor-http-setup = HTTP lässt sich nicht einrichten: { $error }
doctor-no-answer = keine verwertbare Antwort: { $why }
doctor-not-a-list = die Antwort ist keine Schrittliste: { $error }
doctor-not-a-step = die Antwort ist kein Schritt: { $error }
doctor-fix-steps-gateway = Prüfen, ob --api auf ein Schritte-Gateway zeigt
doctor-fix-not-a-list-here = --api antwortet wie ein Schritte-Gateway (die Zeile Fehlerantwort): falsch ist seine Antwort für diese carAssociationID. Dem Betreiber des Gateways melden; doctor mit der ID eines anderen Fahrzeugs zeigt, ob andere Listen kommen
doctor-fix-proxy-html = Die Antwort kam über den Proxy: die Seite ist vielleicht die eigene des Proxys (eine Anmelde- oder Portalseite). NO_PROXY={ $host } setzen, wenn das Gateway ohne den Proxy erreichbar ist; sonst prüfen, ob --api auf ein Schritte-Gateway zeigt
doctor-list-cut = die Liste wurde abgeschnitten: { $error }
doctor-fix-cut = Erneut versuchen; bleibt sie abgeschnitten, kürzt das Gateway oder etwas auf dem Weg (ein Proxy) seine Antworten: den Betreiber des Gateways informieren
doctor-fix-no-answer = Erneut versuchen; bleibt es so, verwirft das Gateway oder etwas davor (ein Proxy, ein Load Balancer) diesen Aufruf: dem Betreiber des Gateways melden
doctor-fix-unusable = Eine Antwort kam, aber keine, die stepwise verwenden kann, und erneutes Fragen bringt dasselbe: tun, was die Worte oben sagen
doctor-fix-network-proxy = Ein Proxy dieses Netzes hat geantwortet, obwohl hier keiner eingestellt ist: HTTPS_PROXY (HTTP_PROXY für http://) auf http://benutzer:passwort@proxy:port mit seiner Adresse setzen oder den Netzwerkadministrator fragen
doctor-fix-limited = Das Gateway begrenzt Anfragen: warten Sie eine Minute, dann führen Sie doctor erneut aus
doctor-fix-wait = Das Gateway bittet, { $secs } s zu warten: danach doctor erneut ausführen; bleibt es so, den Betreiber des Gateways informieren
doctor-fix-refused-front = Etwas vor dem Gateway (eine Firewall, eine WAF oder ein Reverse-Proxy) hat die Anfrage abgelehnt: den Betreiber bitten, diesen Rechner durchzulassen
doctor-fix-refused-proxy = Der Proxy oder etwas vor dem Gateway hat die Anfrage abgelehnt: den Betreiber des Proxys fragen, ob er diese Adresse durchlässt, oder NO_PROXY für diesen Host setzen, wenn das Gateway ohne den Proxy erreichbar ist
doctor-fix-proxy-bare-401 = Geben Sie zuerst das Token des Gateways an (siehe die Zeile Token); bleibt das 401 mit einem Token, fragen Sie die Betreiber des Proxys, ob er eine eigene Anmeldung verlangt, oder setzen Sie NO_PROXY={ $host }, wenn das Gateway direkt erreichbar ist
doctor-error-body-no-answer = keine verwertbare Antwort vom Gateway: { $why }
doctor-error-body-no-answer-fix = Prüfen, ob das Gateway läuft und nicht überlastet ist, dann erneut versuchen
doctor-error-body-dropped = eine Anfrage ohne ID bekam keine Antwort ({ $why }), wo ein Gateway mit 400 und einer JSON-Meldung antwortet; die erste Liste wurde trotzdem nach carAssociationID abgefragt
doctor-why-wants-tls = der Server unter { $base } spricht TLS, und --api sagt http://
doctor-fix-use-https = https:// in --api verwenden (der Server spricht TLS)
doctor-clock-skipped = nicht ausgeführt: kein Schritte-Gateway hat geantwortet
doctor-clock-unusable = nicht ausgeführt: was antwortete, war nicht verwendbar (die Zeile Erste Liste sagt, wie)
doctor-clock-limited = nicht ausgeführt: Anfragen werden begrenzt (HTTP 429); doctor nach der Wartezeit erneut ausführen
doctor-clock-failed = nicht ausgeführt: die Antwort war ein Fehler (HTTP { $status }), ohne Liste oder Fehlerantwort des Gateways, an der die Uhr abzulesen wäre
doctor-error-body-ok = eine Anfrage ohne ID erhält 400 mit einer JSON-Meldung ({ $message })
doctor-error-body-other-shape = eine Anfrage ohne ID erhält 400 mit einer JSON-Meldung in einer anderen verbreiteten Form (RFC 7807 oder OAuth), die stepwise liest ({ $message })
doctor-error-body-code-only = nur Code
doctor-error-body-not-json = eine Anfrage ohne ID erhält 400, aber keinen JSON-Inhalt { $shape }
doctor-fix-error-json = Dem Betreiber des Gateways melden: Fehlerantworten sollten JSON sein
doctor-fix-error-400 = Dem Betreiber des Gateways melden: eine Anfrage ohne ID sollte 400 mit dem Fehlerkörper bekommen. Nur wenn auch die Zeile Erste Liste fehlschlug, prüfen, ob --api auf ein Schritte-Gateway zeigt
doctor-fix-error-400-no-car = Das ist vielleicht gar kein Schritte-Gateway: erneut mit --car ID ausführen. Gelingt dann die Zeile Erste Liste, dem Betreiber des Gateways melden, dass eine Anfrage ohne ID 400 bekommen sollte; sonst prüfen, ob --api auf ein Schritte-Gateway zeigt
doctor-error-body-401 = nicht geprüft: das Gateway will zuerst ein gültiges Token (HTTP 401)
doctor-error-body-unjudged = nicht beurteilt: auch die erste Liste fand unter dieser Adresse kein Schritte-Gateway
doctor-error-body-unjudged-failed = nicht beurteilt: auch die erste Liste bekam keine Antwort
doctor-error-body-unjudged-unusable = nicht beurteilt: auch die Antwort auf die erste Liste war nicht verwendbar
doctor-error-body-proxy = nicht beurteilt: der Proxy antwortete an Stelle des Gateways
doctor-error-body-gateway-down = nicht beurteilt: das Gateway läuft nicht unter { $host }:{ $port } (dort lauscht nichts, direkt versucht)
doctor-error-body-limited = nicht beurteilt: Anfragen werden begrenzt (HTTP 429)
doctor-error-body-other = eine Anfrage ohne ID erhält { $answer } statt 400
doctor-error-body-failing = nicht beurteilt: eine Anfrage ohne ID bekommt { $answer }, ein Fehler, der nichts darüber sagt, wie das Gateway eine falsche Anfrage beantwortet
doctor-first-no-car = nicht versucht: keine carAssociationID angegeben
doctor-first-no-car-fix = Mit --car ID erneut ausführen, um die Schritte-Aufrufe zu testen
doctor-first-401 = HTTP 401: das Gateway will ein gültiges Token
doctor-first-proxy-login = HTTP 401 mit einer Anmeldung (Basic) vom Proxy, nicht vom Gateway: die Anfrage hat das Gateway nie erreicht
doctor-first-proxy-page = HTTP 401 mit einer Webseite ohne Challenge, über den Proxy: die eigene des Proxys oder eine, die er von vor dem Gateway weitergab (ein Portal, ein Reverse-Proxy), keine Token-Anforderung eines Gateways
doctor-first-proxy-page-401 = HTTP 401 mit einer Webseite ohne Fehlerrumpf eines Gateways, über den Proxy: die eigene des Proxys oder eine, die er von vor dem Gateway weitergab (ein Portal, ein Reverse-Proxy)
doctor-basic-prompt = HTTP 401 mit der Frage nach einer Anmeldung, die ein Bearer-Token nicht beantworten kann (Benutzername und Passwort oder Windows-Anmeldung), ohne den Fehlerinhalt eines Gateways: die Anmeldung eines Webservers oder Reverse-Proxys, kein Schritte-Gateway (das ein Bearer-Token nimmt)
doctor-front-401 = HTTP 401 mit einer Webseite und ohne Anmelde-Challenge (kein WWW-Authenticate-Header), ohne Fehlerkörper eines Gateways: etwas vor dem Gateway (ein Reverse-Proxy, ein Webserver oder ein Portal) verlangt eine eigene Anmeldung; kein Token wurde beurteilt
doctor-fix-front-401 = Kamen von dieser Adresse zuvor Listen ohne Token, fehlt kein Gateway-Token: die Betreiber des Netzwerks oder des Gateways fragen, was diese Anmeldung verlangt; sonst sie fragen, ob das Gateway dort ein Token will
doctor-see-token = Siehe die Zeile Token
doctor-see-proxy = Siehe die Zeile Proxy
doctor-first-fix-car = Die mit --car angegebene carAssociationID prüfen
doctor-first-fix-demo = Es ist kein Gateway eingestellt (kein --api, STEPWISE_API oder `api` in der Konfigurationsdatei), also prüfte doctor die eingebaute Demo, die nur { $ids } kennt: um Ihr Gateway zu prüfen, geben Sie --api URL an
doctor-first-fix-filter = Die Worte des Gateways nennen den Statusfilter (stepsStatus), den doctor nicht gewählt hat: Es fragte mit stepsStatus=all, der Vorgabe des Vertrags, nach allen Schritten (steps und der Assistent fragen dann ohne ihn). Dem Betreiber des Gateways Bescheid geben
doctor-first-fix-car-or-api = Seine Worte nennen keine ID: die mit --car angegebene carAssociationID prüfen; bekommt die Zeile Fehlerantwort für einen Aufruf ohne ID dasselbe 404, zeigt --api nicht auf das Schritte-Gateway (das eigene 404 eines Routers): --api prüfen
doctor-first-no-steps-id = { $count ->
        [one] { $count } Schritt
       *[other] { $count } Schritte
    }, aber keine stepsID
doctor-first-fix-steps-id = Dem Betreiber des Gateways melden: die Liste muss eine stepsID enthalten
doctor-first-ok = carAssociationID { $car }: { $count ->
        [one] { $count } Schritt
       *[other] { $count } Schritte
    } ({ $done } erledigt), stepsID { $steps_id }
doctor-first-slow = Das Gateway brauchte bis zu { $secs } s für eine Antwort: langsam, aber innerhalb der { $limit } s, die der Assistent wartet (ein ausgelastetes Gateway oder eine langsame Leitung)
doctor-refresh-ok = { $count ->
        [one] { $count } Schritt
       *[other] { $count } Schritte
    }
doctor-refresh-fix = Die erneut abgerufene Liste nennt andere Schritte als die erste: dem Betreiber des Gateways melden
doctor-next-todo = { $name } ist offen
doctor-next-none = nichts mehr zu tun
doctor-next-nothing = nichts
doctor-next-disagrees = { $got }, aber laut Liste: { $listed }
doctor-next-fix = Dem Betreiber des Gateways melden: der nächste Schritt widerspricht der Liste
doctor-filter-ok = stepsStatus=todo liefert { $todo ->
        [one] den { $todo } offenen Schritt
       *[other] die { $todo } offenen Schritte
    }
doctor-filter-bad = stepsStatus=todo liefert { $count ->
        [one] { $count } Schritt
       *[other] { $count } Schritte
    } ({ $stray } davon nicht offen); die Liste hat { $todo } offen
doctor-filter-unknown = { $bad }; dazu { $unknown } mit einem Status außerhalb des Vertrags, die stepwise als nicht erledigt zählt
doctor-filter-fix = Dem Betreiber des Gateways melden: stepsStatus wird nicht angewendet
doctor-events-ok = angeboten, und das erste Ereignis (die aktuelle Liste) kam sofort: der Assistent folgt Änderungen live
doctor-events-silent = der Stream wurde geöffnet, aber binnen { $secs } s kam kein Ereignis, obwohl ein Gateway die aktuelle Liste sofort sendet: etwas auf dem Weg (ein Proxy) hält Ereignisse zurück. Der Assistent verbindet sich neu und fragt dann regelmäßig ab
doctor-events-other-type = der Stream wurde geöffnet und sendete Ereignisse vom Typ „{ $kind }“, aber binnen { $secs } s keines vom Typ steps: Seine Listen kommen unter einem anderen Ereignistyp als dem des Vertrags, und der Assistent liest keine davon. Der Assistent verbindet sich neu und fragt dann regelmäßig ab
doctor-events-no-list-events = der Stream wurde geöffnet und sendete nur Ereignisse vom Typ „{ $kind }“, ohne Liste darin, und binnen { $secs } s keine Liste, obwohl ein Gateway die aktuelle Liste sofort sendet. Der Assistent verbindet sich neu und fragt dann regelmäßig ab
doctor-events-fix-other-type = Dem Betreiber des Gateways melden: Jede Liste muss als `event: steps` (oder ohne event-Zeile) kommen, nicht als „{ $kind }“
doctor-events-cut = der Strom schloss, bevor sein erstes Ereignis vollständig war (nach { $bytes } Bytes): das Gateway hat ihn abgebrochen, also verbindet der Assistent neu und fragt dann ab
doctor-events-empty = der Ereignisaufruf hat geantwortet und geendet, ohne etwas zu senden (0 Bytes): er liefert keinen Ereignisstrom, also verbindet der Assistent neu und fragt dann ab
doctor-events-not-text = die Bytes des Stroms sind kein UTF-8-Text: der Assistent bricht ihn ab, verbindet neu und fragt dann ab
doctor-events-error-event = das erste Ereignis ist ein Fehler, nicht die aktuelle Liste: { $said }
doctor-events-fix-buffered = Den Betreiber des Proxys bitten, text/event-stream ungepuffert durchzulassen (nginx: proxy_buffering off)
doctor-events-fix-buffered-direct = Hier ist kein Proxy in Gebrauch: dem Betreiber des Gateways melden, dass das Gateway oder ein Reverse-Proxy davor Ereignisse zurückhält oder die aktuelle Liste nicht sofort sendet (nginx: proxy_buffering off)
doctor-events-other-list = das erste Ereignis ist die Liste einer anderen stepsID als der angefragten: der Assistent übernimmt sie nicht
doctor-events-bad-event = das erste Ereignis ist keine Schrittliste ({ $error }): der Assistent fragt stattdessen regelmäßig ab
doctor-events-compressed = der Stream kam komprimiert, obwohl stepwise keine Kompression anfordert: der Assistent fragt stattdessen regelmäßig ab
doctor-events-fix-compressed = Den Betreiber des Gateways (oder des Proxys) bitten, text/event-stream unkomprimiert zu senden
doctor-events-not-stream = antwortet, aber nicht mit text/event-stream: der Assistent fragt regelmäßig nach
doctor-events-page = antwortete mit einer Webseite (HTML), nicht mit text/event-stream: etwas vor dem Gateway (ein Proxy, eine Firewall) hält Ströme womöglich fern; der Assistent fragt regelmäßig ab
doctor-events-fix = Dem Betreiber des Gateways melden: Live-Ereignisse müssen Server-Sent Events sein
doctor-events-fix-page = Bitten Sie die Betreiber des Netzes vor dem Gateway (ein Proxy, eine Firewall), text/event-stream durchzulassen; ist nichts davor, melden Sie es dem Betreiber des Gateways
doctor-events-fix-2346 = Dem Betreiber des Gateways melden: sein Ereignisaufruf lehnt stepsIDs ab, die sein Listenaufruf beantwortet
doctor-events-fix-content = Dem Betreiber des Gateways melden: jedes Ereignis muss als Daten die Schritteliste der angefragten stepsID tragen
doctor-events-fix-cut = Dem Betreiber des Gateways (oder wer einen Reverse-Proxy davor betreibt) melden, dass sein Ereignisstrom mitten im ersten Ereignis geschlossen wird
doctor-events-fix-empty = Dem Betreiber des Gateways (oder wer einen Reverse-Proxy davor betreibt) melden, dass sein Ereignisaufruf sofort endet, ohne zu streamen: ein Proxy puffert oder kappt ihn vielleicht
doctor-events-fix-error-event = Dem Betreiber des Gateways melden, was sein Ereignisstrom sagte: ein Strom muss mit der aktuellen Liste der angefragten stepsID beginnen, die der Listenaufruf eben lieferte
doctor-events-404 = nicht angeboten (404): der Assistent fragt stattdessen regelmäßig nach
doctor-events-2346 = abgelehnt (404, Code 2346): der Stream sagt, er habe keinen Schritt für stepsID { $id }, die der Listenaufruf eben lieferte: das Gateway widerspricht sich. Der Assistent fragt stattdessen regelmäßig ab
doctor-events-http = { $answer }: der Assistent fragt stattdessen regelmäßig nach
doctor-events-limited = { $answer }: das Gateway begrenzt den Stream. Der Assistent wartet { $secs } s, wie das Gateway verlangt, mit jeder Anfrage an es, und öffnet den Stream dann erneut: die Liste auf dem Bildschirm wird inzwischen nicht aufgefrischt
doctor-events-limited-unnamed = { $answer }: das Gateway begrenzt den Stream. Der Assistent wartet so lange, wie das Gateway verlangt, mit jeder Anfrage an es, und öffnet den Stream dann erneut: die Liste auf dem Bildschirm wird inzwischen nicht aufgefrischt
doctor-events-no-answer = keine Antwort ({ $why }): der Assistent öffnet den Stream erneut, mit jedes Mal längerer Wartezeit, und fragt nur dann regelmäßig ab, wenn inzwischen eine Liste kommt
doctor-events-proxy-held = keine Antwort über den Proxy { $proxy }, obwohl die Listen-Aufrufe über ihn beantwortet wurden: der Proxy hält eine Antwort zurück, die nicht endet (er puffert den Ereignisstrom). Der Assistent fragt stattdessen regelmäßig ab
doctor-events-proxy-own = der Proxy { $proxy } antwortete selbst mit HTTP { $status } auf den Ereignisstrom, obwohl die Listenaufrufe durch ihn beantwortet wurden: der Proxy gibt den Strom nicht weiter. Der Assistent fragt stattdessen regelmäßig ab
doctor-events-fix-proxy-held = Den Betreiber des Proxys bitten, text/event-stream ungepuffert durchzulassen, oder NO_PROXY={ $host } setzen, wenn das Gateway ohne ihn erreichbar ist
doctor-guidance-ok = angeboten: QR-Code und Taste „o“ öffnen die Seite des Gateways in der Sprache des Kunden
doctor-guidance-404 = nicht angeboten (404): der QR-Code führt zu docs_base_url oder zu den archivierten Entwicklerseiten
doctor-guidance-http = { $answer }: der QR-Code führt zu docs_base_url oder zu den archivierten Entwicklerseiten
doctor-guidance-no-answer = keine Antwort ({ $why }): der QR-Code führt zu docs_base_url oder zu den archivierten Entwicklerseiten
doctor-clock-no-date = das Gateway sendet keinen Date-Header: die Uhren lassen sich nicht vergleichen
doctor-clock-bad-date = der Date-Header des Gateways { $date } ist nicht lesbar
doctor-clock-ahead = die Uhr dieses Rechners geht { $secs } s vor gegenüber dem Gateway
doctor-clock-behind = die Uhr dieses Rechners geht { $secs } s nach gegenüber dem Gateway
doctor-clock-fix = Datum und Uhrzeit dieses Rechners prüfen: stimmen sie, geht die Uhr des Gateways falsch (dessen Betreiber informieren); sonst die Uhr dieses Rechners stellen (NTP): Token- und Zertifikatsprüfungen hängen davon ab
doctor-clock-fix-gateway = Die Uhr des Gateways geht falsch: sein Datum ({ $date }) liegt vor der Erstellung dieses Programms. Den Betreiber des Gateways informieren; die Uhr dieses Rechners so lassen
doctor-clock-fix-ours = Die Uhr dieses Rechners geht falsch: sie zeigt ein Datum vor der Erstellung dieses Programms. Sie stellen (NTP): Token- und Zertifikatsprüfungen hängen davon ab
doctor-clock-ok = höchstens { $secs } s Abweichung zur Uhr des Gateways

## The command line's own errors (clap's error kinds, in words of the catalogue)

help-cli-options-placeholder = [OPTIONEN]
help-cli-value-file = DATEI
help-cli-value-path = PFAD
help-cli-value-seconds = SEKUNDEN
help-cli-value-dir = ORDNER
help-cli-value-mode = MODUS
help-cli-value-status = STATUS
help-cli-value-shell = SHELL
help-cli-value-lang = SPRACHE
help-cli-value-token = TOKEN
help-cli-value-addr = ADRESSE
cli-clap-missing-value = '{ $arg }' braucht einen Wert, es wurde keiner angegeben
cli-clap-invalid-value = ungültiger Wert '{ $value }' für '{ $arg }'
cli-clap-possible-values = mögliche Werte: { $values }
cli-clap-unknown-argument = unerwartetes Argument '{ $arg }'
cli-arg-token-as-argument = login --with-token liest das Token von der Standardeingabe, nie von der Befehlszeile, wo der Verlauf der Shell und die Prozessliste es festhalten (der angegebene Wert wird nicht gezeigt): `stepwise login --with-token < token.txt`, oder `stepwise login --with-token` ausführen und es einfügen
cli-clap-unknown-command = unbekannter Befehl '{ $name }'
cli-clap-missing-required = diese Pflichtargumente fehlen: { $args }
cli-clap-only-with = { $given } gilt nur zusammen mit { $needed }: { $needed } angeben oder { $given } weglassen
cli-clap-range = eine Zahl von { $low } bis { $high } angeben
cli-clap-conflict = das Argument '{ $arg }' kann nicht zusammen mit { $other } verwendet werden
cli-clap-repeated = das Argument '{ $arg }' darf nur einmal angegeben werden
cli-clap-extra-value = unerwarteter Wert '{ $value }' für '{ $arg }'
cli-clap-needs-command = '{ $name }' braucht einen Befehl: { $values }
cli-clap-did-you-mean = meinten Sie '{ $suggestion }'?
cli-no-watch-command = es gibt keinen Befehl watch: Beobachten ist die Taste w des Assistenten (`stepwise --car ID`, dann w; für viele Fahrzeuge `stepwise fleet --cars DATEI`, dann w); ein Skript fragt `stepwise steps --car ID` erneut
cli-clap-try-help = Mehr Informationen mit '--help'.
cli-clap-other = die Befehlszeile ist nicht lesbar

## The manual page's section headings (stepwise man)

man-section-name = NAME
man-section-synopsis = ÜBERSICHT
man-section-description = BESCHREIBUNG
man-section-options = OPTIONEN
man-section-extra = HINWEISE
man-section-version = VERSION
man-section-authors = AUTOREN
man-section-environment = UMGEBUNG
man-env-token = Das Bearer-Token des Gateways (ohne sie gilt die gespeicherte Anmeldung)
man-env-docs-url = Die Hilfeseiten des Händlers, zu denen die Links der Techniker-Anleitung führen (docs_base_url in der Konfigurationsdatei)
man-env-token-store = Wo login Tokens aufbewahrt: keyring, file oder auto (Standard)
man-env-config = Die Konfigurationsdatei, die statt der Standarddatei gelesen wird (stepwise doctor zeigt ihren Pfad)
man-env-log = Der Protokollfilter, z. B. debug oder stepwise=trace (Standard info); Protokolle landen im Ordner logs des Datenordners
man-env-no-color = Gesetzt und nicht leer: keine Farbe auf dem Bildschirm
man-section-files = DATEIEN
man-section-keys = TASTEN
man-files-config = Die Konfigurationsdatei (STEPWISE_CONFIG nennt eine andere; unter macOS und Windows liegt sie im Ordner des Systems, den stepwise doctor ausgibt)
man-files-device-id = Die Geräte-ID dieser Installation, mit jeder Anfrage gesendet
man-files-recent = Die zuletzt geöffneten carAssociationIDs, je Gateway gespeichert und auf dem Startbildschirm angeboten, wenn dasselbe Gateway wieder verwendet wird
man-files-logins = Von stepwise login aufbewahrte Anmeldungen, wenn kein Schlüsselbund genutzt wird; nur für den Benutzer lesbar
man-files-reports = Sitzungsberichte, mit x geschrieben (--report schreibt dorthin, wo es angibt)
man-files-logs = Die Protokolle des Assistenten (STEPWISE_LOG legt den Umfang fest)
man-files-demo-state = Was das Demo-Backend in früheren Läufen gelernt hat (stepwise demo --fresh vergisst es)
man-files-sim-tls = Zertifizierungsstelle, Zertifikat und Schlüssel von stepwise serve --tls, sofern --tls-dir keinen anderen Ordner nennt
auth-unknown-client = der Identitätsanbieter kennt die Client-ID { $client } nicht ({ $said }). Die dort für stepwise registrierte ID mit --client-id ID oder `client_id` in der Konfigurationsdatei setzen
auth-client-wants-secret = der Identitätsanbieter will, dass sich der Client { $client } authentifiziert ({ $said }): er ist dort als vertraulicher Client mit Geheimnis registriert, und stepwise meldet sich als öffentlicher Client an. Den Betreiber des Anbieters um eine öffentliche Client-ID für stepwise bitten (ohne Geheimnis, Geräte- oder Browseranmeldung erlaubt), dann mit --client-id ID oder `client_id` in der Konfigurationsdatei angeben
auth-client-not-allowed = der Identitätsanbieter kennt die Client-ID { $client }, lässt sie aber nicht auf diese Weise anmelden ({ $said }), und er bietet stepwise keinen anderen Weg. Den Administrator des Anbieters bitten, den Gerätefluss für diesen Client zu erlauben; bis dahin ein Token mit `stepwise login --with-token` hinterlegen
auth-client-not-allowed-device = der Identitätsanbieter kennt die Client-ID { $client }, lässt sie aber nicht mit einem Code auf einem anderen Gerät anmelden ({ $said }). Stattdessen im Browser anmelden: `stepwise login` ohne --device, auf einem Rechner mit Desktop; oder den Administrator des Anbieters bitten, den Gerätefluss für diesen Client zu erlauben; oder ein Token mit `stepwise login --with-token` hinterlegen
auth-client-not-allowed-browser = der Identitätsanbieter kennt die Client-ID { $client }, lässt sie aber nicht im Browser anmelden ({ $said }). Stattdessen mit einem Code auf einem anderen Gerät anmelden: `stepwise login --device`; oder den Administrator des Anbieters bitten, es zu erlauben; oder ein Token mit `stepwise login --with-token` hinterlegen
auth-unknown-scope = der Identitätsanbieter kennt einen angefragten Scope nicht ({ $said }); angefragt: { $scopes }. Die Scopes, die er kennt, mit --scope oder `scopes` in der Konfigurationsdatei setzen (beim Betreiber erfragen), dann `stepwise login` erneut ausführen
err-signin-issuer-mismatch = der Identitätsanbieter unter { $asked } nennt sich { $got }: seine Metadaten gehören nicht ihm. --issuer prüfen (oder STEPWISE_ISSUER, `issuer` in der Konfigurationsdatei), falls angegeben, sonst den Betreiber des Gateways informieren (dessen Anmelde-Metadaten nennen diesen Anbieter)
err-signin-issuer-unnamed = die Metadaten des Identitätsanbieters unter { $asked } nennen keinen Aussteller (das Feld `issuer` fehlt), daher lassen sie sich nicht als die dieses Anbieters prüfen. Den Betreiber des Anbieters informieren; --issuer prüfen (oder STEPWISE_ISSUER, `issuer` in der Konfigurationsdatei), falls angegeben
err-signin-resource-mismatch = die Anmelde-Metadaten, die das Gateway unter { $gateway } veröffentlicht ({ $path }), gehören zu einer anderen Ressource, { $named }: Tokens der darin genannten Anmeldung wären für diese Ressource, nicht für dieses Gateway, also werden sie nicht verwendet (RFC 9728). Den Betreiber des Gateways informieren; wer den Identitätsanbieter dieses Gateways kennt, gibt ihn mit --issuer (oder STEPWISE_ISSUER, `issuer` in der Konfigurationsdatei) an
err-signin-issuer-none = der Identitätsanbieter unter { $issuer } veröffentlicht keine Metadaten (weder /.well-known/openid-configuration noch /.well-known/oauth-authorization-server; HTTP { $status }). --issuer prüfen (oder STEPWISE_ISSUER, `issuer` in der Konfigurationsdatei), falls angegeben, sonst den Betreiber des Gateways informieren (dessen Anmelde-Metadaten nennen diesen Anbieter)
err-signin-issuer-missing = der Identitätsanbieter unter { $issuer } veröffentlicht Metadaten ohne { $field }: er bietet dort keine Anmeldung, die stepwise nutzen kann. --issuer prüfen (oder STEPWISE_ISSUER, `issuer` in der Konfigurationsdatei), falls angegeben, sonst den Betreiber des Gateways informieren (dessen Anmelde-Metadaten nennen diesen Anbieter)
err-signin-issuer-bad = der Issuer { $issuer } ist keine http(s)-URL. Eine wie https://login.example.com/realms/workshop angeben
err-signin-endpoint-authorization = Autorisierungsadresse
err-signin-endpoint-revocation = Widerrufsadresse
login-expires-no-refresh = Das Token läuft um { $time } ab. Es kam kein Erneuerungstoken mit (der Anbieter gibt eines mit dem Scope offline_access), also dann erneut anmelden.
login-expires-no-refresh-asked = Das Token läuft um { $time } ab. Es kam kein Refresh-Token mit, obwohl die Anmeldung offline_access anforderte: der Identitätsanbieter gibt stepwise keines (sein Administrator kann es erlauben), also dann erneut anmelden.
login-keyring-fallback = Hinweis: Der Schlüsselbund konnte das Token nicht aufbewahren ({ $why }), daher liegt es in einer Datei, die nur Sie lesen können (Modus 0600). `stepwise logout` entfernt sie.
login-browser-signing-in = Adresse an den Browser übergeben: dort anmelden, dann hierher zurückkehren (Strg-C bricht ab).
login-browser-address = Zeigt kein Browser die Anmeldung, diese Adresse auf diesem Rechner öffnen: { $address }
login-browser-done = Angemeldet: diesen Tab schließen und zum Terminal zurückkehren.
login-browser-failed-page = Diese Anmeldung ist nicht gelungen: im Terminal steht, warum.
logout-revoked = Der Identitätsanbieter hat die Anmeldung widerrufen ({ $endpoint }).
logout-revoked-page = Die Widerrufsadresse ({ $endpoint }) hat mit HTTP 200 geantwortet, was widerrufen bedeutet, aber mit einer Webseite, wo der Identitätsanbieter nichts antwortet: Falls dort ein Portal oder Proxy an seiner Stelle antwortet, kann die Anmeldung beim Anbieter gültig bleiben, bis sie abläuft.
logout-not-revoked = Der Identitätsanbieter bietet keinen Widerruf: Die Anmeldung ist hier vergessen, ihr Erneuerungstoken bleibt dort aber bis zum Ablauf gültig.
logout-not-revoked-access = Der Identitätsanbieter bietet keinen Widerruf: Die Anmeldung ist hier vergessen, ihr Token bleibt dort aber bis zum Ablauf gültig.
logout-revoke-failed = Der Widerruf beim Identitätsanbieter ist gescheitert ({ $why }); hier ist die Anmeldung trotzdem vergessen. Beim Anbieter bleibt ihr Erneuerungstoken gültig, bis es abläuft oder der Anbieter es beendet: seinen Administrator bitten, es zu widerrufen, wenn es sofort enden muss.
logout-already-ended = Der Identitätsanbieter hatte diese Anmeldung bereits beendet ({ $said }): Es gibt nichts zu widerrufen.
logout-revoke-failed-access = Der Widerruf beim Identitätsanbieter ist gescheitert ({ $why }); hier ist die Anmeldung trotzdem vergessen. Beim Anbieter bleibt das Token gültig, bis es abläuft: seinen Administrator bitten, es zu widerrufen, wenn es sofort enden muss.
status-over = Erneuerung:  vom Identitätsanbieter beendet ({ $said }). `stepwise login` ausführen
status-over-client = Erneuerung:  abgelehnt: Der Identitätsanbieter nimmt die Client-ID { $client } nicht an ({ $said }). Mit der ID anmelden, die er kennt: `stepwise login --client-id ID` (oder `client_id` in der Konfigurationsdatei setzen)
status-client = Client:      { $client }, Scopes { $scopes }, Zielgruppe { $audience }
status-scopes-granted = { $asked } angefordert, { $granted } gewährt
help-cli-login-issuer = Die Issuer-URL des Identitätsanbieters (sonst STEPWISE_ISSUER, `issuer` in der Konfigurationsdatei, sonst über das Gateway ermittelt)
help-cli-login-client-id = Die beim Identitätsanbieter für stepwise registrierte Client-ID (sonst `client_id` in der Konfigurationsdatei, sonst stepwise)
help-cli-login-scope = Die anzufragenden Scopes, durch Leerzeichen getrennt (sonst `scopes` in der Konfigurationsdatei, sonst die des Gateways, sonst "openid offline_access")
help-cli-login-audience = Die Zielgruppe (Ressource), für die das Token angefragt wird (sonst `audience` in der Konfigurationsdatei)
help-cli-login-device = Mit einem Code anmelden, der in einem beliebigen Browser bestätigt wird, auch wenn hier einer geöffnet werden könnte
help-cli-serve-client-id = Eine Client-ID, die der Identitätsanbieter kennt (wiederholbar; Standard: stepwise)
doctor-source-login = die aufbewahrte Anmeldung (`stepwise login`)
doctor-token-login-over = die aufbewahrte Anmeldung wurde vom Identitätsanbieter beendet ({ $said })
doctor-token-fix-login = `stepwise login` ausführen
doctor-token-fix-client-id = Die Client-ID, die der Identitätsanbieter kennt, mit --client-id ID (oder `client_id` in der Konfigurationsdatei) setzen, dann `stepwise login --client-id ID` ausführen
doctor-token-fix-kept-fixed = Es wurde mit `stepwise login --with-token` hinterlegt: beim Betreiber des Gateways dessen aktuelles Token erfragen und mit `stepwise login --with-token` hinterlegen
