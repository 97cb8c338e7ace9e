# stepwise — il catalogo dei messaggi, italiano. Stessi id e stesse
# variabili di en.ftl; i numeri scelgono le forme del plurale.

## The steps screen

header-car = veicolo { $car }
header-steps-id = stepsID { $id }
header-at = alle { $time } UTC
header-not-loaded = non caricato
header-watch-on = monitoraggio ON
header-watch-live = monitoraggio ON · in diretta
header-watch-polling = monitoraggio ON · interrogazione ogni { $secs } s
header-watch-retrying = monitoraggio ON · nuovo tentativo
header-watch-off = monitoraggio off
header-autoplay = automatico
header-guide-lang = cliente: { $lang }
progress-done = { $done } di { $total } fatti
progress-filtered = (filtro: { $filter }, { $shown ->
    [one] { $shown } passo mostrato
   *[other] { $shown } passi mostrati
})
list-title = Passi, in ordine
list-title-filtered = Passi: solo { $filter }
list-loading = Richiesta dei passi al gateway…
list-loading-held = Trattenuto: il gateway ha chiesto a ogni richiesta di attendere (HTTP 429, l'intestazione fa il conto alla rovescia); i passi vengono chiesti quando l'attesa finisce.
list-none = Ancora nessuna lista: r per richiedere.
list-none-waiting = Nessun elenco ancora: il gateway ha chiesto di attendere (il messaggio dice quanto); il monitoraggio chiede di nuovo quando l'attesa è finita.
list-none-sign-in = Ancora nessuna lista: il gateway vuole un token valido. Premere i per accedere, se il gateway offre l'accesso (altrimenti ripartire con --token-file); poi la lista viene richiesta di nuovo.
list-none-token-given = Ancora nessun elenco: il gateway vuole un token valido, e l'accesso qui non riesce (il messaggio dice perché). Uscire e ricominciare con un token fornito: --token-file FILE o STEPWISE_TOKEN.
list-none-unknown-id = Nessuna lista: il gateway non conosce questo id, quindi richiedere non serve. Controllare l'id.
list-none-fix-cause = Nessuna lista: richiedere dà la stessa risposta finché non si corregge ciò che indica il messaggio.
list-empty-filtered = Nessun passo è { $filter }. f cambia il filtro.
list-empty = Il gateway non ha restituito passi per questo carAssociationID.
mark-next = ORA
mark-waits = attende
mark-status-raw = stato { $status }
mark-waits-for = attende { $order }
guide-title = Cosa fa il cliente: { $title }
guide-title-none = Istruzioni
guide-no-step = Nessun passo da guidare. Se l'app del cliente rifiuta ancora il servizio, controllare il carAssociationID o azzerare la cache dei passi con R.
guide-waiting = Le istruzioni per il prossimo passo compaiono quando arriva la lista.
guide-link = Guida:
guide-does = Il cliente:
guide-needs = Da avere a portata di mano:
guide-errors = Errori dell'app per questo passo:
guide-errors-hint = il tasto «e» li spiega
guide-link-archive = Documentazione per sviluppatori (archiviata, in inglese):
guide-keys-gateway = «g» mostra la pagina del cliente ({ $lang }) sul gateway come codice QR; il tasto «o» la apre.
guide-keys-dealer = «g» mostra la pagina d'aiuto del concessionario come codice QR; il tasto «o» la apre.
guide-keys-archive = «g» mostra la pagina archiviata per sviluppatori come codice QR; il tasto «o» la apre (il gateway non offre pagine per i clienti).
guide-more-below = ↓ altro: Pag↓
guide-more-above = ↑ altro sopra: Pag↑
list-more-below = ↓ altri { $count }: j
list-more-above = ↑ altri { $count } sopra: k
ready-title = Servizio pronto
ready-line = Tutti i passi sono fatti: il servizio è pronto all'uso.
ready-services = Il servizio sottoscritto (stato del veicolo o comandi remoti) è ora utilizzabile dall'app del cliente.
ready-stale-before = Se l'app fallisce ancora con l'errore 2312 o 2317, la cache dei passi è vecchia: premere{" "}
ready-stale-after = {" "}per azzerarla e vedere lo stato reale.

## Requests in flight

loading-steps = lettura dei passi
loading-held = { $what }, trattenuto dal limite del gateway (HTTP 429)
loading-refresh = aggiornamento
loading-reset = azzeramento della cache dei passi
loading-next = richiesta del prossimo passo
loading-customer = il cliente sta agendo

## Banners
# Between a banner's title and its text (French puts a space before the colon).
banner-title-sep = {": "}
banner-cut = {" "}… altro: una finestra più grande mostra tutto{" "}
banner-cut-help = {" "}… altro: ? mostra tutto{" "}

banner-no-steps-id = Ancora nessuno stepsID
banner-no-steps-id-text = prima aggiornare con r.
banner-no-steps-id-in-list-text = l'elenco del gateway è arrivato senza stepsID, e il passo successivo si può chiedere solo per stepsID: r non ne porterà uno. Segnala a chi gestisce il gateway che al suo elenco manca lo stepsID.
banner-steps-id-dropped = stepsID scartato
banner-steps-id-dropped-text = il gateway ha rifiutato lo stepsID che aveva dato, quindi è stato scartato; la lista sullo schermo è l'ultima arrivata con esso. r ne chiede uno nuovo per carAssociationID.
banner-watch-off = Monitoraggio off
banner-watch-off-text = w per riprendere il monitoraggio.
banner-nothing-to-watch = Niente da monitorare
banner-nothing-to-watch-text = tutti i passi sono già fatti.
banner-no-step-shown = Nessun passo sullo schermo
banner-no-step-shown-text = g e o danno al cliente la pagina del passo sullo schermo, e non ce n'è nessuno: non è ancora arrivato alcun elenco, oppure non ha passi. r richiede di nuovo l'elenco.
banner-key-needs-list = { $key } ha bisogno di un elenco di passi, e non ne è arrivato nessuno. Perché:
banner-no-step-shown-filter-text = g e o danno al cliente la pagina del passo sullo schermo, e il filtro nasconde tutti i passi (nessun passo è { $filter }). Premere f finché i passi compaiono, poi sceglierne uno con ↑↓.
banner-watching = Monitoraggio
banner-watching-text = monitoraggio dell'elenco finché tutto è fatto (l'intestazione dice come: in diretta o per interrogazione); w lo ferma.
banner-list-without-steps-id = Nessuno stepsID nell'elenco
banner-list-without-steps-id-text = l'elenco del gateway non porta alcuno stepsID: la chiamata del passo successivo (n) e gli eventi dal vivo non possono chiedere in base a esso, quindi il monitoraggio chiede per carAssociationID ogni { $secs } s. Avvisare il gestore del gateway: un elenco porta il suo stepsID.
banner-watch-stopped = Monitoraggio fermato: { $what }
banner-live-trouble = Monitoraggio interrotto: { $what }
banner-live-stalls = Flusso in diretta ripristinato dopo un blocco
live-bad-event = il flusso di eventi in diretta del gateway ha inviato un evento inutilizzabile: { $why }. Le liste in sé sono a posto; avvisare chi gestisce il gateway
live-proxy-held = il flusso di eventi in diretta non ha avuto risposta entro { $secs } s attraverso il proxy { $proxy }, benché le chiamate dell'elenco attraverso di esso abbiano risposta: il proxy trattiene una risposta che non finisce (mette in buffer il flusso di eventi). Chiedere a chi gestisce il proxy di far passare text/event-stream senza buffer, o impostare NO_PROXY={ $host } se il gateway è raggiungibile senza
banner-live-trouble-text = { $why }. Il monitoraggio riprende da solo appena può; fino ad allora l'elenco sullo schermo può non essere aggiornato.
banner-live-trouble-wait-text = { $why }. Il gateway ha chiesto di attendere { $secs } s (il suo Retry-After): il monitoraggio chiede di nuovo allora; fino ad allora l'elenco sullo schermo può non essere aggiornato.
banner-live-trouble-wait-capped-text = { $why }. Il gateway ha chiesto di attendere { $secs } s (il suo Retry-After); stepwise attende al massimo { $max } s: il monitoraggio chiede di nuovo allora; fino ad allora l'elenco sullo schermo può non essere aggiornato.
banner-429-capped-text = { $why }. stepwise attende al massimo { $max } s: poi chiede di nuovo (l'intestazione fa il conto alla rovescia), e il gateway può rifiutarlo allo stesso modo finché la sua attesa non è finita.
banner-live-held-text = { $why }. Il monitoraggio non richiede da solo: un rinnovo del token la cui risposta è andata persa non viene reinviato senza di lei (il suo refresh token può essere consumato). Premere r quando la strada verso il provider d'identità funziona; fino ad allora l'elenco sullo schermo può essere superato.
banner-watch-retries = Il monitoraggio richiede da solo (l'intestazione dice «nuovo tentativo»); r chiede subito.
banner-watch-waits = Il monitoraggio richiede da solo dopo quell'attesa; chiedere prima (r) non aiuta.
banner-watch-waits-secs = Il monitoraggio richiede da solo dopo i { $secs } s di attesa chiesti dal gateway; chiedere prima (r) non aiuta.
banner-env-restart = Uno stepwise in esecuzione legge le variabili del proxy all'avvio: uscire (q) e riavviarlo dopo averle cambiate.
banner-live-fallback = Flusso in diretta abbandonato: l'elenco viene chiesto ogni { $secs } s
banner-live-fallback-text = il flusso di eventi del gateway continuava a fallire (ultima volta: { $what }). Il monitoraggio prosegue chiedendo l'elenco ogni { $secs } s: l'elenco mostrato resta aggiornato, un cambiamento appare fino a { $secs } s dopo. Se continua, dare l'errore tra parentesi al gestore del gateway, o a chi gestisce un proxy lungo il percorso (un flusso può fallire in uno).
banner-live-fallback-contradicted-text = abbandonato subito: { $what }. Il monitoraggio prosegue chiedendo l'elenco ogni { $secs } s: l'elenco mostrato resta aggiornato, un cambiamento appare fino a { $secs } s dopo.
banner-watch-stopped-text = { $why }. Continuare ripeterebbe solo questa risposta; risolto il problema, w riprende.
banner-run-keeps-refusal = { $why }. Questa esecuzione non interroga più il gateway con questo accesso, quindi r e w ottengono di nuovo questa risposta: una volta risolto, o dopo un nuovo `stepwise login`, uscire con q e avviare di nuovo stepwise.
banner-customer-idle = Il cliente non ha più nulla da fare
banner-customer-idle-text = tutti i passi sono fatti.
banner-no-report-place = Nessun posto per il rapporto
banner-no-report-place-text = non c'è una cartella dati utente; usare --report PERCORSO.
banner-report-written = Rapporto scritto
banner-note-kept = Nota tenuta
banner-note-kept-text = finirà nel rapporto di sessione.
banner-note-kept-press-x-text = andrà nel rapporto della sessione, che x scrive (nessun --report indicato): premere x prima di uscire. q con una nota non scritta chiede di nuovo, e un secondo q esce senza di essa; una sessione terminata altrimenti (Ctrl-C, una finestra chiusa) lo scrive dove lo scrive x.
banner-note-token = Nota non tenuta
banner-note-token-text = contiene quello che sembra un token di accesso, e un token non finisce mai in un rapporto. Premere N e scrivere la nota senza di esso.
banner-note-token-word-text = contiene quello che sembra un token di accesso (la parola di { $len } caratteri che inizia con { $start }…), e un token non finisce mai in un rapporto. Premere N: la nota torna com'era scritta, per togliere quella parola.
report-note-token-left-out = una nota in fase di scrittura alla chiusura della procedura guidata è stata omessa: conteneva quello che sembra un token di accesso, e un token non va mai in un rapporto. Riscriverla senza il token
banner-note-unsaved = Nota non salvata
banner-note-unsaved-text = nessun rapporto contiene ancora la nota (nessun --report indicato). Premere x per scrivere il rapporto con la nota, oppure di nuovo q per uscire senza.
banner-note-unsaved-failed-text = nessun rapporto contiene ancora la nota: x non ha potuto scriverlo ({ $why }). Correggere il problema, poi premere x; oppure premere di nuovo q per uscire senza la nota.
banner-task-failed = La richiesta si è interrotta per un errore interno
banner-task-failed-text = stepwise non è riuscito a completarla ({ $why }). r per riprovare; se succede di nuovo, inviare il file di log all'assistenza.
banner-report-not-written = Rapporto non scritto
banner-report-not-written-text = impossibile scrivere { $path }: { $why }. Controllare che la cartella esista e sia scrivibile.
banner-report-in-the-way-text = impossibile scrivere { $path }: in { $file } c'è un file dove deve esserci una cartella (la cartella dei rapporti o una sopra di essa). Spostare o rinominare quel file, poi premere di nuovo x.
banner-guide-opened = Link passato al browser
banner-no-browser = Impossibile aprire un browser
banner-no-graphical-session = nessuna sessione grafica qui. Aprire { $url } su un altro dispositivo, o g per il codice QR.
banner-no-graphical-session-local = nessuna sessione grafica qui, e { $url } esiste solo su questo computer (loopback): nemmeno un altro dispositivo può aprirlo. Dare a --api un indirizzo del gateway raggiungibile dalla rete dell'officina, poi premere g per il codice QR.
banner-no-graphical-session-demo = nessuna sessione grafica qui, e { $url } esiste solo su questa macchina (backend demo). Per i telefoni: avviare `stepwise serve --addr 0.0.0.0:8080` e dare all'assistente --api con l'indirizzo che serve mostra; poi g mostra il codice QR.
banner-browser-failed = { $why }. Aprire { $url } a mano, o g per il codice QR.
banner-step-done = { $count ->
   *[other] Fatto — { $steps }
}
banner-step-undone = { $count ->
   *[other] Di nuovo da fare — { $steps }
}
banner-step-undone-text = l'ultimo elenco del gateway lo ha di nuovo da fare (un azzeramento altrove, una chiave revocata, o un gateway che ha perso il suo stato): il cliente lo rifà; l'elenco mostra cosa resta.
banner-steps-undone-text = l'ultimo elenco del gateway li ha di nuovo da fare (un azzeramento altrove, una chiave revocata, o un gateway che ha perso il suo stato): il cliente li rifà; l'elenco mostra cosa resta.
banner-next-is = il prossimo passo è { $title }.
banner-all-done-ready = tutto fatto, il servizio è pronto.
banner-nothing-shown-left = nella lista mostrata non resta niente da fare.
banner-reset-done = Cache dei passi azzerata
banner-reset-done-text = ogni passo è stato rivalutato; la lista mostra lo stato reale.
banner-reset-refused-front = Azzeramento rifiutato
banner-reset-refused-front-text = qualcosa davanti al gateway ha risposto all'azzeramento della cache dei passi (resetSteps=true) con HTTP { $status } e senza corpo di errore del gateway, mentre gli elenchi arrivano da questo indirizzo: solo la chiamata di azzeramento è rifiutata. La cache non è stata azzerata, e l'elenco sullo schermo è com'era. Chiedere al gestore del gateway, o a chi gestisce la rete, se la chiamata di azzeramento viene lasciata passare.
banner-reset-unanswered = Azzeramento inviato, nessuna risposta
banner-reset-unanswered-text = il gateway ha ricevuto l'azzeramento della cache dei passi (resetSteps=true) ma non ha risposto entro { $secs } s: la cache forse è già azzerata, forse no. Premere prima r per vedere l'elenco com'è ora; azzerare di nuovo solo se mostra ancora fatti passi che il cliente non ha fatto.
banner-reset-gave-up-text = l'azzeramento della cache dei passi (resetSteps=true) ha ricevuto HTTP { $status } da qualcosa davanti al gateway che ha smesso di aspettarlo: la cache forse è già azzerata, forse no. Premere prima r per vedere l'elenco com'è ora; azzerare di nuovo solo se mostra ancora fatti passi che il cliente non ha fatto.
banner-no-longer-found = Non più trovato
banner-no-longer-found-text = questo indirizzo ha risposto elenchi per questo veicolo prima in questa sessione, e ora risponde 404 (non trovato): l'id e --api erano giusti, quindi il gateway, o un router o proxy davanti a esso, è cambiato (un riavvio, un rilascio, una rotta persa). Premere r fra un momento per chiedere di nuovo; se persiste, avvisare il gestore del gateway, con l'ora.
banner-steps-id-changing = Il gateway continua a cambiare lo stepsID di questo veicolo
banner-steps-id-changing-text = chiesto l'elenco dello stepsID { $asked }, ha risposto l'elenco dello stepsID { $answered }, entro un minuto dal ricominciare per carAssociationID. Il monitoraggio è stato fermato invece di chiedere all'infinito. Premere r per chiedere di nuovo per carAssociationID; se continua a cambiare, avvisare il gestore del gateway (o chi gestisce un proxy o una cache in mezzo).
banner-started-over = Ricominciato
banner-started-over-text = { $why }; richiesto di nuovo per carAssociationID.
banner-refused-again = Il gateway rifiuta lo stepsID appena dato
banner-refused-again-text = { $why }, di nuovo, entro un minuto dalla ripresa per carAssociationID. Monitoraggio fermato invece di richiedere senza fine. Avvisare chi gestisce il gateway; r richiede una volta per carAssociationID.
why-other-device = lo stepsID apparteneva a un altro dispositivo
why-steps-id-unknown = il gateway non conosce più lo stepsID
why-steps-id-changed = il gateway ha risposto l'elenco di un altro stepsID (uno nuovo per questo veicolo, o risposte scambiate lungo la strada)
banner-gateway-next = Prossimo passo secondo il gateway
banner-gateway-next-text = { $title } ({ $name }).
banner-gateway-next-hidden-text = { $title } ({ $name }), non nella lista mostrata; f cambia il filtro.
banner-filter-ignored = Filtrato qui, non dal gateway
banner-list-lost-steps = Elenco privo di passi
banner-list-lost-steps-text = l'elenco del gateway per lo stepsID { $id } non contiene più { $steps }, che non erano fatti: un elenco non perde mai i passi che aveva (un elenco filtrato dato come quello intero?). Non viene preso, né il veicolo detto pronto: l'elenco sullo schermo è l'ultimo intero. Premere r per richiederlo; se resta così, segnalarlo a chi gestisce il gateway
banner-nothing-left = Non resta nulla da fare
banner-nothing-left-text = il gateway ha risposto null: nessun passo rimasto, il servizio è pronto.
banner-next-list-older = L'elenco sullo schermo è più vecchio di questa risposta: viene richiesto di nuovo.
banner-next-disagrees = Le due risposte del gateway non concordano
banner-next-disagrees-text = il suo passo successivo è { $said } (`{ $name }`), ma l'elenco richiesto di nuovo adesso mette ancora per primo { $first } (`{ $first_name }`, stato “{ $status }”), non fatto: l'elenco non è vecchio. Chiedere al gestore del gateway quale fa prima il cliente.
banner-answers-disagree = Il gateway si contraddice
banner-answers-disagree-text = la sua chiamata del passo successivo ha detto che non resta nulla, ma il suo elenco, richiesto di nuovo proprio ora, ha ancora passi da fare (NEXT segna il primo). Seguire l'elenco e segnalare a chi gestisce il gateway che le due chiamate non concordano.

## The start screen
backend-demo = backend demo
demo-car-987654 = Esempio della documentazione: telefono attendibile, dispositivo non attivato
demo-car-moved = Veicolo demo, passi fatti: { $done } su { $total } (demo --fresh ricomincia)
demo-car-reset-done = Cache azzerata in questa sessione: la lista ora dice la verità
demo-fresh-done = Demo ripartita da zero: ogni veicolo demo è di nuovo dove dice la sua descrizione.
demo-fresh-failed = impossibile far ripartire la demo da zero: il suo stato { $path } non si può rimuovere ({ $error }). Rimuovere il file a mano, poi ripartire
launch-note-title = Nota
cli-ids-repeated = Indicato più volte, chiesto una volta sola: { $ids }.
cli-ids-one-line = { $path } contiene una riga di { $values } valori in colonne: solo il primo è letto come carAssociationID (la prima colonna di un file). Per chiederli tutti, mettere un id per riga.
cli-ids-rows-without-id = { $count ->
    [one] { $path }: la riga { $lines } non ha un carAssociationID nella colonna degli id, quindi è saltata. Inserire il suo id per chiedere quel veicolo.
   *[other] { $path }: le righe { $lines } non hanno un carAssociationID nella colonna degli id, quindi sono saltate. Inserire i loro id per chiedere quei veicoli.
    }
cli-ids-column-guessed = { $path }: la prima riga non nomina alcuna colonna carAssociationID, quindi gli id sono stati letti dalla colonna { $column } («{ $name }»), l'unica i cui valori sono tutti id con una cifra. Se non sono gli id dei veicoli, intitolare la loro colonna carAssociationID
demo-car-111111 = Nuovo cliente: ancora niente di fatto
demo-car-222222 = Servizio pronto: tutti i passi completati
demo-car-333333 = Cache obsoleta: l'app mostra 2312/2317, solo un azzeramento dice la verità
demo-car-444444 = Solo Stato del veicolo: due passi

start-subtitle = passi di attivazione del servizio
start-intro = Digitare il carAssociationID del cliente (dall'abbonamento ai servizi connessi) e premere Invio.
start-replace-hint = Digitare sostituisce questo id; ⌫ lo modifica
start-refused = Non accettato: { $chars }. Un id contiene solo lettere a–z, A–Z, cifre, - e _.
start-dropped-confirm = Tralasciati: { $chars }. Invio di nuovo prende { $id } così com'è (un altro veicolo?); altrimenti correggerlo.
start-too-long = Un id ha al massimo { $max } caratteri; il resto è stato scartato.
start-not-an-id = Digitare un carAssociationID: lettere a–z, A–Z, cifre, - o _.
start-excel-number = { $number } è un numero lungo come lo mostra Excel (notazione scientifica), non un ID: le sue ultime cifre sono perse. In Excel formattare la colonna come Testo, riscrivere l'ID e copiarlo da lì.
start-several-ids = Sono state incollate { $count } righe (una colonna di id?): il campo prende un solo id, quindi non ne è stato preso nessuno. Incollarne o digitarne uno; per una bacheca con tutti, uscire e avviare con --cars FILE (un id per riga) o --car ID --car ID
board-add-several-ids = Sono state incollate { $count } righe (una colonna di id?): questo campo aggiunge un id alla volta, quindi non ne è stato preso nessuno. Incollarne o digitarne uno, Invio, poi di nuovo a per il successivo; i veicoli della bacheca restano
start-label-left-out = L'incollato iniziava con la sua etichetta «{ $label }», lasciata fuori: il campo contiene l'id che segue.
start-note-unsaved = Nota non salvata: nessun rapporto la contiene ancora (nessun --report). Aprire un veicolo e premere x per scrivere il rapporto con la nota, oppure premere di nuovo q per uscire senza.
start-choices = Id recenti (↑↓ per scegliere):
start-choices-demo = Id recenti e associazioni demo (↑↓ per scegliere):
start-recent = recente

## A window too small

too-small-title = Finestra troppo piccola
too-small-text = stepwise richiede { $min_w }×{ $min_h }; questa è { $w }×{ $h }.
too-small-hint = Ingrandire la finestra (q esce).
too-small-note-unsaved = La nota non è ancora in nessun rapporto: ingrandire la finestra e premere x per scrivere il rapporto con la nota, oppure di nuovo q per uscire senza.

## Overlays

help-title = Aiuto (Esc chiude)
help-title-more = Aiuto (↓ Pag↓ per altro, Esc chiude)
help-section-start = Schermata iniziale
help-section-steps = Schermata dei passi
help-section-message = Il messaggio sullo schermo, per intero
help-section-everywhere = Ovunque
help-section-reset = Conferma azzeramento
help-section-explain = Spiegazione dei codici d'errore
help-section-qr = Codice QR
help-section-help = Questo aiuto
help-section-badges = Etichette
help-legend-badges = [FATTO] fatto (alreadyDone)  [DA FARE] da fare (todo)  [????] stato sconosciuto
badge-done = FATTO
badge-todo = DA FARE
badge-unknown = ????
help-legend-next = ORA indica il passo da fare adesso; i successivi lo attendono.
reset-title = Azzerare la cache dei passi
reset-question = Azzerare la cache dei passi di { $car }?
reset-when = Da usare quando l'app del cliente mostra l'errore 2312 o 2317, o quando un passo risulta fatto ma non lo è.
reset-what = Ogni passo viene rivalutato; quelli davvero fatti restano fatti.
explain-title = Spiegare un codice d'errore (Esc chiude)
explain-code = Codice d'errore:
explain-prompt = Digitare il codice mostrato dall'app del cliente, es. 2312 o NOK:MAXNBTOOLS.
explain-known = Noti: { $codes }
explain-meaning = Significato:
explain-remedy = Cosa fare:
explain-limits = Limiti:
explain-reset-cures = ✔ Azzerare la cache dei passi lo risolve: chiudere con Esc, poi premere{" "}
explain-unknown = { $code } non è un codice noto a questo strumento.
explain-unknown-hint = Controllare quanto digitato e cercare il codice nell'elenco errori del costruttore; dopo Esc, annotarlo in una nota (N) per il rapporto di sessione.
qr-title-gateway = Scansionare: la pagina del cliente ({ $lang }) (Esc chiude)
qr-title-dealer = Scansionare: la pagina d'aiuto del concessionario (Esc chiude)
qr-title-archive = Scansionare: documentazione per sviluppatori, archiviata (Esc chiude)
qr-demo-local = Solo questo computer può aprire la pagina (backend demo). Per i telefoni: eseguire `stepwise serve --addr 0.0.0.0:8080` e dare alla procedura --api con l'indirizzo che serve stampa.
qr-loopback = Questo indirizzo esiste solo su questo computer (loopback): un telefono non può aprirlo. Dare a --api l'indirizzo del gateway sulla rete dell'officina.
qr-too-small = La finestra è troppo piccola per il codice QR; ingrandirla.

## Keys: a short word for the footer, a line for help
# The names of keys as the keyboards of this language print them.
key-name-esc = Esc
key-name-enter = Invio
key-name-space = Spazio
key-name-pgdn = Pag↓
key-name-pgup = Pag↑
key-name-ctrl-c = Ctrl-C
key-name-yes = s

key-short-quit = esci
key-short-open = apri
key-short-pick = scegli
key-short-help = aiuto
key-short-type = digita
key-short-erase = cancella
key-short-clear = svuota
key-short-move = sposta
key-short-more = altro
key-short-refresh = aggiorna
key-short-watch = monitora
key-short-act = agisci
key-short-next = prossimo
key-short-filter = filtra
key-short-reset = azzera
key-short-explain = spiega
key-short-open-guide = apri guida
key-short-qr = codice QR
key-short-report = rapporto
key-short-back = indietro
key-short-scroll = scorri
key-short-page = pagina
key-short-close = chiudi
key-short-reset-now = azzera ora
key-short-cancel = annulla
key-short-open-browser = apri nel browser
key-short-guide-lang = lingua cliente
key-help-quit-now = uscire subito
key-help-quit = uscire
key-help-quit-empty = uscire (a campo vuoto)
key-help-open = aprire i passi di questo carAssociationID
key-help-pick = scegliere un id recente o demo
key-help-help = aiuto su tutti i tasti
key-help-type-id = digitare il carAssociationID (lettere a–z, A–Z, cifre, - e _)
key-help-erase = cancellare l'ultimo carattere
key-help-clear = svuotare il campo
key-help-move = spostare la selezione
key-help-guide-down = scorrere le istruzioni in giù
key-help-guide-up = scorrere le istruzioni in su
key-help-refresh = aggiornare la lista per stepsID
key-help-watch = monitorare: seguire ogni cambiamento finché tutto è fatto
key-help-act = il cliente simulato fa il prossimo passo (demo)
key-help-next = chiedere al gateway il prossimo passo
key-help-filter = filtrare per stato: tutti, todo, alreadyDone
key-help-reset = azzerare la cache dei passi (errori 2312/2317)
key-help-explain = spiegare un codice d'errore dell'app
key-help-open-guide = aprire la guida del passo nel browser
key-help-qr = mostrare il link della guida come codice QR
key-help-report = scrivere il rapporto di sessione (Markdown)
key-help-back = tornare alla schermata iniziale
key-help-back-board = torna al pannello
key-short-note = nota
key-help-note = scrivere una nota per il rapporto di sessione
key-help-save-note = tenere la nota per il rapporto
key-help-type-note = scrivere la nota
help-section-note = La nota per il rapporto
key-help-scroll = scorrere l'aiuto
key-help-page-down = una pagina giù
key-help-page-up = una pagina su
key-help-close-help = chiudere l'aiuto
key-help-reset-now = azzerare ora la cache dei passi
key-help-cancel = annullare
key-help-close-explain = chiudere la spiegazione
key-help-type-code = digitare il codice: cifre, lettere, : _ .
key-help-close-qr = chiudere il codice QR
key-help-open-browser = aprire il link nel browser
key-help-guide-lang = passare le istruzioni del cliente alla lingua successiva

## The session report (Markdown)

report-title = Rapporto di sessione stepwise
report-none = (nessuno)
report-backend = gateway
report-end = stato finale: { $done } di { $total } fatti
report-end-ready = stato finale: { $done } di { $total } fatti, servizio pronto
report-end-next = stato finale: { $done } di { $total } fatti, prossimo: { $title } (`{ $name }`)
report-col-order = ordine
report-col-step = passo
report-col-name = nome
report-col-status = stato
report-events = Eventi
report-event-opened = aperto carAssociationID { $car }
report-event-removed = rimosso dalla bacheca dal tecnico
report-event-steps-id-changed = il gateway ha risposto l'elenco di un altro stepsID ({ $answered }); richiesto di nuovo per carAssociationID
report-event-list-next = lista (stepsID { $id }): { $done } di { $total } fatti, prossimo `{ $next }`
report-event-list-clear = lista (stepsID { $id }): { $done } di { $total } fatti, niente da fare
report-event-list-empty = lista (stepsID { $id }): nessun passo restituito, quindi il servizio non risulta pronto
report-event-filtered = lista filtrata su { $status }: { $shown ->
    [one] { $shown } passo mostrato
   *[other] { $shown } passi mostrati
}
report-event-reset = azzeramento della cache dei passi richiesto (resetSteps=true); segue la risposta del gateway
report-event-next = prossimo passo secondo il gateway: `{ $step }`
report-event-next-none = prossimo passo secondo il gateway: nessuno (null)
report-event-simulated = il cliente simulato ha fatto `{ $step }`
report-event-error = errore: { $what }: { $detail }
report-event-started-over = { $status ->
    [404] il gateway non conosceva più lo stepsID (HTTP { $status }); ricominciato con il carAssociationID
   *[other] il gateway ha rifiutato lo stepsID (HTTP { $status }); ricominciato con il carAssociationID
}
report-event-started-over-live = il flusso in diretta del gateway ha rifiutato lo stepsID; ripreso con il carAssociationID
report-events-left-out = { $n ->
    [one] { $n } evento omesso
   *[other] { $n } eventi omessi
} (sono conservati i primi { $first } e gli ultimi { $last })
report-vehicle-count = { $count ->
    [one] { $count } veicolo
   *[other] { $count } veicoli
}
report-empty = In questa sessione non è successo nulla: nessun veicolo aperto, nessuna nota scritta.
report-ended-quit = Sessione terminata alle { $at }: il tecnico è uscito.
report-ended-hangup = Sessione terminata alle { $at }: il terminale è stato chiuso (SIGHUP), non per uscita del tecnico.
report-ended-signal = Sessione terminata alle { $at }: fermata da { $signal }, non per uscita del tecnico.
report-ended-terminal = Sessione terminata alle { $at }: il terminale è venuto a mancare durante la sessione, non per uscita del tecnico.
report-notes = Note ed eventi della sessione
report-event-note = nota: { $text }
report-event-signed-in = accesso eseguito dalla procedura guidata (i); i veicoli rifiutati per mancanza di token chiedono di nuovo
report-event-sign-in-failed = accesso dalla procedura guidata (i) non riuscito: { $detail }
report-event-note-unfinished = nota (incompleta: era in digitazione quando la procedura guidata è terminata): { $text }
report-event-explained = codice { $code } spiegato: { $meaning }
report-event-filter-chosen = filtro di stato scelto: { $status }
report-event-watch-on = monitoraggio attivato
report-event-watch-off = monitoraggio disattivato
report-event-watch-stopped = il monitoraggio si è fermato da solo: { $what } (chiedere di nuovo non cambierebbe la risposta)
report-event-guide-lang = le istruzioni per il cliente passate a { $lang }
report-event-held = l'HTTP 429 del gateway ha trattenuto ogni richiesta verso di esso per { $secs } s (il suo Retry-After): nel frattempo non è stato chiesto alcun elenco, e quelli mostrati sono invecchiati

## The plain output of steps and next

cli-none = nessuno
cli-list-head-car = carAssociationID { $car }, stepsID { $id } ({ $backend })
cli-list-head = stepsID { $id } ({ $backend })
cli-no-steps = Nessun passo restituito.
cli-no-steps-unknown = Nessun passo restituito: il servizio non risulta pronto. Se l'app del cliente lo rifiuta ancora, controllare il carAssociationID o azzerare la cache dei passi (rieseguire con --reset)
cli-summary-next = { $done } di { $total } fatti; prossimo: { $title }
cli-summary-clear = { $done } di { $total } fatti; non resta nulla da fare
cli-interrupted-many = interrotto: gli elenchi dei { $count } veicoli si stampano insieme, nell'ordine del file, quando ciascuno ha risposta o si raggiunge la --deadline di { $secs } s, quindi non ne è stato stampato nessuno. Rieseguire; una --deadline più breve limita l'attesa
cli-filtered = filtrato: { $shown } { $filter } mostrati; senza --status per la lista intera
cli-filter-ignored = il gateway non ha applicato il filtro: { $other } dei { $total } passi qui sopra { $other ->
        [one] ha
       *[other] hanno
    } lo stato { $status }. Avvisare il gestore del gateway: stepsStatus non è applicato
cli-filter-ignored-json = il gateway non ha applicato il filtro: { $other } dei { $total } passi della sua risposta { $other ->
        [one] ha
       *[other] hanno
    } lo stato { $status }. Avvisare il gestore del gateway: stepsStatus non è applicato
cli-no-steps-id = l'elenco del gateway non porta alcuno stepsID: `stepwise next` e gli eventi dal vivo non possono chiedere in base a esso, e l'elenco può essere richiesto di nuovo solo per carAssociationID. Avvisare il gestore del gateway: un elenco porta il suo stepsID
cli-next-none = Non resta nulla da fare: il servizio è pronto.

## A failed gateway call: what happened, why, what to do

gw-unreachable = impossibile raggiungere il gateway { $base }: { $detail }. Controllare che sia attivo e che --api sia giusto
gw-unresolved = impossibile raggiungere il gateway { $base }: il nome { $host } è sconosciuto al DNS di questa macchina. Controllare il nome host in --api e le impostazioni DNS di questa macchina (serve una VPN per il gateway?)
gw-timed-out = il gateway { $base } ha accettato la connessione ma non ha risposto entro { $secs } s: è occupato o bloccato. Riprovare; se persiste, avvisare chi gestisce il gateway
gw-timed-out-proxy = nessuna risposta entro { $secs } s dal gateway { $base } tramite il proxy { $proxy }: il proxy, o il gateway dietro di esso, tace. Chiedere a chi gestisce il proxy se inoltra le richieste verso { $host }, oppure impostare NO_PROXY={ $host } se il gateway è raggiungibile senza il proxy; poi riprovare
gw-too-large = la risposta del gateway supera { $kib } KiB e non è stata letta oltre: nessun elenco di passi è così grande, e chiedere di nuovo porta lo stesso. Se --api indica un gateway dei passi (ne sono già arrivati elenchi), invia troppo: avvisare il gestore del gateway; altrimenti controllare che --api indichi un gateway dei passi
gw-compressed = la risposta del gateway{ $via } è arrivata compressa ({ $encoding }), benché stepwise chieda le risposte così come sono (Accept-Encoding: identity), e stepwise non la legge. Il gateway, o un proxy lungo la strada, comprime senza che sia chiesto: avvisare chi gestisce il gateway (o il proxy)
gw-captive-portal = HTTP 511{ $via }: la rete di questo computer chiede prima un accesso (un captive portal, come nel Wi-Fi ospiti), quindi la richiesta non ha mai raggiunto il gateway. Aprire un browser su questo computer, accettare la pagina di accesso della rete, poi riprovare; oppure usare un'altra rete
gw-scope-wanted = HTTP { $status }: il gateway ha preso il token, ma dice che gli manca lo scope { $scope } (il suo WWW-Authenticate: insufficient_scope). Accedere di nuovo chiedendolo (`stepwise login --scope "{ $ask }"`, o `scopes` nel file di configurazione), oppure chiedere a chi fornisce i token uno con quello scope
gw-scope-wanted-asked = HTTP { $status }: il gateway ha preso il token dell'accesso salvato, ma dice che gli manca lo scope { $scope } (il suo WWW-Authenticate: insufficient_scope), benché quell'accesso abbia chiesto { $scope }: accedere di nuovo chiede lo stesso. O il provider di identità non concede { $scope } a stepwise (chiedere al suo amministratore), o il gateway vuole un altro scope o un'altra audience (chiedere al gestore del gateway)
gw-scope-wanted-dropped = HTTP { $status }: il gateway ha preso il token dell'accesso salvato, ma dice che gli manca lo scope { $scope } (il suo WWW-Authenticate: insufficient_scope): l'accesso lo ha chiesto, e la concessione dell'ultimo token l'ha lasciato fuori (concesso: { $granted }), come può fare un rinnovo. Accedere di nuovo (`stepwise login`; nell'assistente, i); se i rinnovi continuano a toglierlo, avvisare l'amministratore del provider di identità
gw-scope-wanted-unnamed = HTTP { $status }: il gateway ha preso il token, ma dice che gli manca uno scope (il suo WWW-Authenticate: insufficient_scope, senza nominarlo). Chiedere a chi gestisce il gateway quale, poi accedere di nuovo con quello (`stepwise login --scope …`)
gw-scope-wanted-given = HTTP { $status }: il gateway ha preso il token (fonte: { $from }), ma dice che gli manca lo scope { $scope } (il suo WWW-Authenticate: insufficient_scope). Un token dato lì vale più di qualsiasi accesso: metterne lì uno con questo scope, oppure toglierlo e accedere con `stepwise login --scope "{ $ask }"`
gw-scope-wanted-given-unnamed = HTTP { $status }: il gateway ha preso il token (fonte: { $from }), ma dice che gli manca uno scope (il suo WWW-Authenticate: insufficient_scope, senza nominarlo). Chiedere a chi gestisce il gateway quale, poi metterne lì uno che lo abbia, oppure toglierlo e accedere con `stepwise login --scope …`
gw-scope-wanted-none = HTTP { $status }: il gateway vuole un token con lo scope { $scope }, e non ne è stato inviato nessuno. Accedere chiedendolo (`stepwise login --scope "openid offline_access { $scope }"`, o `scopes` nel file di configurazione), o dare un token che lo ha con --token-file PERCORSO, STEPWISE_TOKEN o `token` nel file di configurazione
gw-scope-wanted-none-unnamed = HTTP { $status }: il gateway vuole un token con uno scope che non nomina, e non ne è stato inviato nessuno. Chiedere al gestore del gateway quale scope vuole, poi accedere chiedendolo (`stepwise login --scope …`), o dare un token che lo ha con --token-file PERCORSO, STEPWISE_TOKEN o `token` nel file di configurazione
gw-scope-wanted-none-no-signin = HTTP { $status }: il gateway vuole un token con lo scope { $scope }, e non ne è stato inviato nessuno. Non offre accesso: il suo token viene da chi lo gestisce. Chiedergli un token che abbia questo scope, e conservarlo con `stepwise login --with-token`, oppure darlo con --token-file PERCORSO, STEPWISE_TOKEN o `token` nel file di configurazione
gw-scope-wanted-none-no-signin-unnamed = HTTP { $status }: il gateway vuole un token con uno scope che non nomina, e non ne è stato inviato nessuno. Non offre accesso: il suo token viene da chi lo gestisce. Chiedergli un token con lo scope voluto, e conservarlo con `stepwise login --with-token`, oppure darlo con --token-file PERCORSO, STEPWISE_TOKEN o `token` nel file di configurazione
gw-scope-wanted-taken-no-signin = HTTP { $status }: il gateway ha accettato il token fornito tramite { $from }, ma dice che gli manca lo scope { $scope } (il suo WWW-Authenticate: insufficient_scope). Non offre accesso: il suo token viene da chi lo gestisce. Chiedergliene uno con questo scope, e darlo allo stesso modo (uno conservato con `stepwise login --with-token`)
gw-scope-wanted-taken-no-signin-unnamed = HTTP { $status }: il gateway ha accettato il token fornito tramite { $from }, ma dice che gli manca uno scope che non nomina (il suo WWW-Authenticate: insufficient_scope). Non offre accesso: il suo token viene da chi lo gestisce. Chiedergliene uno con lo scope voluto, e darlo allo stesso modo (uno conservato con `stepwise login --with-token`)
gw-bad-answer = la risposta del gateway non è utilizzabile: { $why }. Se da questo --api sono già arrivati elenchi (di questo veicolo o di un altro), il gateway, o qualcosa davanti a lui, ha risposto altro a questa chiamata: avvisare il gestore del gateway; altrimenti controllare che --api indichi un gateway dei passi
gw-bad-answer-page = la risposta è una pagina web (HTML) dove va il JSON del gateway: qualcosa davanti al gateway (un firewall, un portale o un reverse proxy) ha risposto, oppure --api punta a un server web. Se da questo --api sono già arrivati elenchi, chiedere a chi gestisce la rete che pagina sia; altrimenti controllare che --api indichi un gateway dei passi
gw-bad-answer-gateway = la risposta del gateway non è utilizzabile: { $why }
gw-answer-cut = la risposta del gateway è stata troncata ({ $why }). Riprovare; se resta troncata, il gateway o qualcosa lungo il percorso (un proxy) tronca le sue risposte: avvisare chi gestisce il gateway
answer-not-json = la risposta non è JSON ({ $detail })
answer-html = la risposta è una pagina HTML (di un server web, di un portale o di un proxy), non JSON
answer-empty = la risposta è vuota, mentre era atteso JSON del gateway (una lista di passi, un passo o null)
answer-not-utf8 = la risposta non è testo UTF-8 (un altro set di caratteri, come Latin-1), come deve essere il JSON
answer-gzip = la risposta sono dati compressi gzip che non lo dicono (nessun Content-Encoding): il gateway, o un proxy lungo la strada, comprime senza che sia chiesto; avvisare chi gestisce il gateway
answer-wrong-shape = la risposta è JSON di forma diversa da una lista di passi ({ $detail })
answer-wrong-shape-step = la risposta è JSON di forma diversa da un passo ({ $detail })
answer-next-done = la risposta del passo successivo nomina { $step } ma lo segna fatto: si contraddice, e non dice né che non resta nulla né quale passo viene dopo. L'elenco di questo stepsID dice quali passi restano; avvisare il gestore del gateway
answer-bad-steps-id = l'elenco del gateway dà uno stepsID ({ $id }) che viola la regola degli id del contratto (da 1 a 64 lettere a–z, A–Z, cifre, - o _), quindi non può essere rimandato per gli elenchi successivi né per il passo successivo. Avvisa chi gestisce il gateway; l'id digitato non è la causa
answer-error-body = il gateway ha inviato il suo corpo d'errore ({ $said }) con uno stato di successo (HTTP 2xx): ha rifiutato la richiesta, anche se il suo stato dice altro. Segnalarlo a chi gestisce il gateway
json-at = smette di essere JSON alla riga { $line }, colonna { $column }
json-cut-at = si ferma prima della fine alla riga { $line }, colonna { $column }: la risposta è stata troncata
json-stops-at = si ferma alla riga { $line }, colonna { $column }
json-kind-null = null
json-kind-boolean = un booleano
json-kind-number = un numero
json-kind-string = una stringa
json-kind-array = un array
shape-not-a-list = era atteso un oggetto di passi, è { $kind }
shape-not-a-step = era atteso un oggetto passo o null, è { $kind }
shape-no-steps = un oggetto senza stepsID né passi, i cui membri sono { $members }
shape-no-step = era atteso un oggetto passo o null; è un oggetto senza passo, i cui membri sono { $members }
shape-live-without-id = la lista di un evento in diretta non ha stepsID, su un flusso che ne segue diversi
os-refused = la connessione è stata rifiutata: nulla è in ascolto a quell'indirizzo e porta
os-reset = l'altro lato ha interrotto la connessione
os-network-unreachable = questa macchina non ha una rotta verso quella rete
os-host-unreachable = questa macchina non ha una rotta verso quell'host
os-network-down = la rete di questa macchina è inattiva
os-timed-out = la connessione è scaduta
os-denied = questa macchina ha rifiutato di aprire la connessione (un firewall o un'impostazione di sicurezza)
os-not-a-folder = c'è un file dove deve esserci una cartella
os-read-only = il file system è di sola lettura
os-file-denied = permesso negato (questo utente non può scriverlo, o è bloccato)
os-no-file-here = in quella cartella non si può creare alcun file (una cartella di sistema come /proc o /sys)
os-folder-gone = la sua cartella { $folder } non c'è più: è stata rimossa mentre la procedura guidata era in corso, e non viene ricreata
os-folder-in-the-way = c'è una cartella dove deve esserci un file
os-disk-full = il disco è pieno
os-addr-in-use = quella porta è già occupata (da un programma in ascolto, o da una connessione appena chiusa che la tiene per un minuto)
os-addr-not-available = questa macchina non ha questo indirizzo
net-closed-no-answer = il server ha chiuso la connessione senza rispondere
net-bad-header = le intestazioni della risposta non sono HTTP valido (un server guasto, o qualcosa lungo il percorso che altera le risposte)
net-bad-chunks = i suoi blocchi (Transfer-Encoding: chunked) sono rotti
net-head-broken = le sue intestazioni sono rotte
net-tls-eof = la connessione è stata chiusa durante l'handshake TLS
net-not-http = ciò che ha risposto non è HTTP (un altro servizio su quella porta, o un server TLS dove l'indirizzo dice http://)
net-cut-short = è finita prima della lunghezza annunciata
net-stalled = è iniziata, poi si è fermata a metà, e non è arrivato altro nel tempo consentito
net-dns-unknown = il nome è sconosciuto al DNS di questa macchina
gw-transport = la richiesta al gateway è fallita: { $detail }. Riprovare; se persiste, controllare la rete
gw-answer-malformed = la risposta del gateway è arrivata, ma non è HTTP valido: { $why }. Riprovare; se persiste, il gateway o qualcosa lungo la strada (un proxy) rovina le sue risposte: avvisare chi gestisce il gateway
gw-redirect-refused = il gateway ha reindirizzato { $from } a { $to }, un altro server o una connessione non sicura; stepwise non segue il reindirizzamento. Indicare in --api l'indirizzo proprio del gateway
gw-redirect-same-server = l'indirizzo del gateway ha reindirizzato { $from } a { $to }, una pagina dello stesso server che non è una chiamata steps (molto probabilmente una pagina di accesso o di portale); stepwise non la segue né vi invia il token. Un gateway steps risponde alle sue chiamate con JSON, non con un reindirizzamento: chiedere a chi gestisce quel server di lasciar passare le chiamate del gateway, oppure dare a --api l'indirizzo proprio del gateway
gw-redirect-to-https = il gateway { $from } si è spostato su { $to } (https://); stepwise non segue i reindirizzamenti. Usare l'indirizzo https:// in --api
gw-moved-away = il gateway ha reindirizzato { $from } a { $to }, che ha risposto HTTP { $status } senza corpo d'errore di un gateway: --api ha raggiunto il gateway, e il suo reindirizzamento porta dove non risponde nessun gateway dei passi. Avvisare chi gestisce il gateway; se i passi si sono spostati lì per sempre, provare --api con quel percorso
gw-foreign-list = chiesto l'elenco dello stepsID { $asked }, il gateway ha risposto l'elenco dello stepsID { $answered }; non viene mostrato come quello di questo veicolo. Il gateway forse ha ricominciato questo veicolo con un nuovo stepsID: chiedere per carAssociationID (`stepwise steps --car ID`); se persiste, un proxy o una cache tra qui e il gateway confonde le risposte
gw-foreign-next = chiesto il prossimo passo dello stepsID { $asked }, il gateway ne ha risposto uno dello stepsID { $answered }; non viene mostrato come quello di questo veicolo. Il gateway forse ha ricominciato questo veicolo con un nuovo stepsID: chiedere per carAssociationID (`stepwise steps --car ID`); se persiste, un proxy o una cache tra qui e il gateway confonde le risposte
gw-title-redirect = Reindirizzamento non seguito
gw-title-moved-away = Reindirizzato nel vuoto
gw-live-cut = il flusso in diretta del gateway si è interrotto a metà di un evento. Si riconnette da solo; se si ripete, controllare i proxy tra qui e il gateway
gw-live-not-offered = il gateway ora risponde alla chiamata degli eventi come uno senza eventi in diretta (HTTP 404 o 405, senza codice 2346), pur rispondendo agli elenchi: potrebbe essere tornato da un riavvio senza di essi. Avvisare il gestore del gateway se ci si aspetta il monitoraggio in diretta
gw-live-cut-direct = il gateway ha interrotto il suo flusso in diretta a metà di un evento (qui non si usa alcun proxy). Si riconnette da solo; se si ripete, segnalarlo a chi gestisce il gateway (o a chi gestisce un reverse proxy davanti a esso)
gw-live-silent = il flusso in diretta del gateway non ha inviato nulla per { $secs } s, nemmeno un segnale di keep-alive. Si riconnette da solo; se si ripete, controllare la rete
gw-live-silent-no-keepalive = il flusso in diretta del gateway ha inviato i suoi primi eventi, poi nulla per { $secs } s, nemmeno il segnale di keep-alive che il contratto chiede almeno ogni 15 s: il gateway non invia keep-alive, o un proxy lungo la strada li trattiene. Si riconnette da solo, e un cambiamento può apparire fino a { $secs } s in ritardo; segnalarlo a chi gestisce il gateway
gw-live-no-first-event = il flusso in diretta del gateway si è aperto ma non ha inviato alcun elenco entro { $secs } s (al massimo segnali di keep-alive), benché gli elenchi attuali arrivino subito: forse un proxy lo trattiene. Si riconnette da solo, poi interroga gli elenchi al suo posto
gw-live-no-first-event-direct = il flusso in diretta del gateway si è aperto ma non ha inviato alcun elenco entro { $secs } s (al più segnali di keep-alive), anche se gli elenchi attuali arrivano subito; qui non si usa alcun proxy, quindi è il gateway, o un reverse proxy davanti a esso, a trattenerli. Si riconnette da solo, poi interroga invece gli elenchi; segnalarlo a chi gestisce il gateway
gw-live-other-events = il flusso in diretta del gateway ha inviato eventi di tipo «{ $kind }» e nessuno di tipo steps entro { $secs } s: le sue liste arrivano con un tipo di evento diverso da quello del contratto, quindi nessuna viene letta. Si riconnette da solo, poi interroga le liste al suo posto; avvisare chi gestisce il gateway che ogni lista deve arrivare come `event: steps` (o senza riga event)
gw-live-no-list-events = il flusso in diretta del gateway ha inviato solo eventi di tipo «{ $kind }», senza lista dentro, e nessuna lista entro { $secs } s, benché le liste attuali arrivino subito. Si riconnette da solo, poi interroga le liste al suo posto; se continua, avvisare chi gestisce il gateway che il flusso deve inviare ogni lista subito, come `event: steps`
gw-live-not-text = il flusso in diretta del gateway non è testo UTF-8. Controllare che --api punti a un gateway dei passi
gw-live-bad-line = il flusso in diretta del gateway contiene una riga che non è un campo di evento. Controllare che --api punti a un gateway dei passi
gw-live-lists = lo stato in diretta segue da 1 a 200 elenchi alla volta, non { $count }
gw-live-said = il flusso in diretta del gateway ha inviato un errore: { $said }. Si riconnette da solo; se si ripete, avvisare il gestore del gateway
gw-live-said-cause = il flusso in diretta del gateway ha inviato un errore: { $said }
gw-live-said-no-step = il flusso in diretta del gateway dice che questo stepsID non ha più passi: { $said }. Ricominciare con il carAssociationID (l'assistente lo fa da solo)
gw-live-contradicted = il flusso in diretta del gateway per { $count } elenchi ha detto che uno stepsID non ha più passi ({ $said }), eppure ognuno di quegli elenchi risponde quando lo si chiede con il suo stepsID: il gateway si contraddice, e non si sa quale veicolo intendesse. stepwise li segue interrogando da ora in poi; avvisare il gestore del gateway
gw-live-contradicted-one = il flusso in diretta del gateway ha detto che questo stepsID non ha più passi ({ $said }), eppure il suo elenco risponde quando lo si chiede con quello stepsID: il gateway si contraddice. stepwise segue l'elenco interrogando da ora in poi; avvisare il gestore del gateway
gw-live-contradicted-unsent = { $count ->
    [one] Il flusso non aveva inviato alcun elenco per lo stepsID { $ids }: forse quello che intendeva
   *[other] Il flusso non aveva inviato alcun elenco per gli stepsID { $ids }: forse intendeva uno di questi
}
gw-live-left-out = il flusso in diretta del gateway ha inviato subito gli elenchi attuali di { $sent } dei suoi { $lists } stepsID, ma non { $count ->
        [one] quello dello stepsID { $ids }, che deve anch'esso
       *[other] quelli degli stepsID { $ids }, che deve anch'essi
    }: un veicolo omesso non sarebbe mai seguito. Al loro posto si chiedono gli elenchi; segnalarlo a chi gestisce il gateway
gw-live-refused = il gateway rifiuta il suo flusso in diretta ma risponde agli elenchi ({ $why }). Al loro posto si chiedono gli elenchi
gw-live-refused-401-none = il gateway rifiuta il suo flusso in diretta senza token (HTTP 401) ma risponde agli elenchi senza: `stepwise login` non ne trova nessuno necessario, quindi nessun accesso cambia nulla. Al loro posto si chiedono gli elenchi; avvisare il gestore del gateway se ci si aspetta il monitoraggio in diretta
gw-live-refused-401-sent = il gateway rifiuta per il suo flusso in diretta il token che i suoi elenchi accettano (HTTP 401): un nuovo accesso ne dà uno uguale, quindi non cambia nulla. Al loro posto si chiedono gli elenchi; avvisare il gestore del gateway se ci si aspetta il monitoraggio in diretta
gw-live-closed-soon = il flusso in diretta del gateway si è chiuso poco dopo aver inviato i suoi elenchi, { $times } volte di seguito (ogni volta entro un minuto): non tiene aperto alcun flusso, quindi un cambiamento apparirebbe in ritardo. Al loro posto si chiedono gli elenchi; segnalarlo a chi gestisce il gateway
gw-live-page = la chiamata degli eventi del gateway ha risposto con una pagina web (HTML) dove va il suo flusso di eventi: qualcosa davanti al gateway (un proxy, un firewall) può bloccare i flussi. Si chiedono invece gli elenchi; chiedere a chi gestisce la rete davanti al gateway di lasciar passare text/event-stream, e se davanti non c'è nulla, avvisare il gestore del gateway
gw-live-page-titled = la chiamata degli eventi del gateway ha risposto con una pagina web (HTML, «{ $said }») dove va il suo flusso di eventi: qualcosa davanti al gateway (un proxy, un firewall) può bloccare i flussi. Si chiedono invece gli elenchi; chiedere a chi gestisce la rete davanti al gateway di lasciar passare text/event-stream, e se davanti non c'è nulla, avvisare il gestore del gateway
gw-live-compressed = il flusso in diretta del gateway è arrivato compresso ({ $encoding }), benché stepwise non lo chieda, quindi i suoi byte non sono eventi: il gateway, o un proxy lungo il percorso, lo comprime. Si chiedono invece gli elenchi; chiedere al gestore del gateway (o a chi gestisce il proxy) di inviare text/event-stream non compresso
gw-live-foreign = il flusso in diretta del gateway ha inviato un elenco dello stepsID { $answered }, che non gli era stato chiesto, mentre { $count ->
    [one] l'elenco chiesto risponde
   *[other] i { $count } elenchi chiesti rispondono
} quando li si chiede per stepsID, quindi l'elenco mostrato è stato tenuto così com'è: avvisare il gestore del gateway (o chi gestisce un proxy o una cache in mezzo)
gw-user-info = l'URL del gateway contiene nome utente o password (user:password@host), che stepwise non mostra né invia. Toglierli dall'URL; il token del gateway va in --token-file, STEPWISE_TOKEN o nel file di configurazione
gw-bad-url = l'URL del gateway { $url } non è utilizzabile: { $reason }. Indicarne uno come http://127.0.0.1:8080
url-no-host = non ha un host
url-bad-port = la sua porta non è un numero da 1 a 65535
url-bad-ip = il suo indirizzo IP non è valido (un indirizzo IPv6 va tra parentesi quadre, es. http://[::1]:8080)
url-ipv6-brackets = il suo indirizzo IPv6 non è tra parentesi quadre, quindi la porta non si distingue: scriverlo come http://[::1]:8080
url-port-twice = la sua porta è scritta più di una volta (un secondo :numero dopo l'host): indicarla una volta sola
url-query = contiene una query (?…), che stepwise non invia mai: indicare l'URL di base del gateway senza di essa (un token va in --token-file, STEPWISE_TOKEN o `stepwise login`)
url-ipv6-zone = il suo indirizzo IPv6 porta una zona (%eth0), che l'host di un URL qui non può portare: indicare l'indirizzo globale del gateway o un nome host
url-ipv6-unclosed = il suo indirizzo IPv6 apre una parentesi [ che nessuna ] chiude: scriverlo come http://[::1]:8080
url-bad-host = il suo nome host contiene un carattere che nessun nome host può avere (uno spazio?)
url-not-absolute = non è un URL completo
url-not-http = sono accettati solo http:// e https://
gw-bad-path = impossibile costruire l'URL di { $path }: { $detail }
gw-bad-token = il token contiene caratteri che un'intestazione non può portare; controllare il file del token
gw-http-setup = impossibile preparare il client HTTP: { $detail }
gw-demo-unavailable = impossibile avviare il simulatore integrato su una porta locale: { $detail }
gw-demo-state = il simulatore integrato non può tenere il suo stato in { $folder }: { $detail }. Deve essere una cartella dove questo utente può scrivere: correggere o togliere ciò che intralcia, o dare a --api un gateway
gw-demo-state-file = il simulatore integrato non può salvare il suo stato in { $file }: { $detail }. Quel file e la sua cartella devono essere scrivibili da questo utente (niente disco pieno, niente file in sola lettura o bloccato): correggere questo, o dare a --api un gateway. Nessun gateway è in causa: non ce n'è
gw-400 = il gateway ha rifiutato la richiesta come malformata
gw-400-todo = Controllare l'id digitato; se è giusto, segnalare un bug
gw-400-said-todo = Le sue parole dicono cosa ha rifiutato (l'ID è stato verificato prima dell'invio). Se nominano un'intestazione o un parametro, qualcosa lungo il percorso (un proxy) può alterare le richieste: avvisare chi gestisce la rete; altrimenti segnalare un bug
gw-400-filter-todo = Le sue parole nominano il filtro di stato (stepsStatus): questo gateway non lo accetta. Elencare senza (niente --status; nella procedura guidata, f finché il filtro è su tutti), e avvisare chi gestisce il gateway se serve
gw-400-filter-unchosen-todo = Le sue parole nominano il filtro di stato (stepsStatus), benché non ne sia stato scelto nessuno: stepwise chiede tutti i passi (stepsStatus=all, il valore predefinito del contratto, poi senza stepsStatus), e nessuna scelta qui lo cambia. Avvisare chi gestisce il gateway che questa chiamata viene rifiutata
gw-400-id-todo = Le sue parole nominano l'id: il gateway non accetta quello dato (la sua regola per gli id può essere più severa di lettere a–z, A–Z, cifre, - e _). Controllare l'id con l'account del cliente
gw-400-coded = il gateway ha rifiutato la richiesta con un codice app
gw-400-coded-todo = Seguono il significato del codice e il rimedio
gw-401 = il gateway vuole un token valido
gw-401-todo = Accedere con `stepwise login`, oppure fornire un token con --token-file PERCORSO, STEPWISE_TOKEN o `token` nel file di configurazione
gw-403 = questo stepsID appartiene a un altro dispositivo
gw-403-todo = Ricominciare con il carAssociationID
gw-403-refused = il gateway rifiuta questa richiesta
gw-403-refused-todo = Le sue parole dicono perché (un account o un veicolo che non ammette); verificare il carAssociationID con l'account del cliente, o chiedere a chi gestisce il gateway
gw-404 = il gateway non conosce questo id
gw-404-todo = Controllare il carAssociationID o lo stepsID e riprovare
gw-404-steps-id = il gateway non ha alcun passo per questo stepsID: non lo conosce, o l'ha dimenticato
gw-404-steps-id-todo = Chiedere di nuovo l'elenco per carAssociationID (`stepwise steps --car ID`): dà lo stepsID attuale del veicolo
gw-404-unnamed = non è stato trovato nulla per questa chiamata a questo indirizzo: un id che il gateway non conosce, o un percorso che lì nulla serve
gw-404-unnamed-todo = Controllare il carAssociationID o lo stepsID; se ogni id riceve questa risposta, --api non punta al gateway dei passi (il 404 di un router): controllare --api
gw-404-call = il gateway ha rifiutato la chiamata del passo successivo, senza il codice 2346 (il suo segno di uno stepsID che non conosce)
gw-call-not-served = il gateway non serve la chiamata del passo successivo (un metodo o una chiamata che non offre), qualunque sia lo stepsID
gw-404-call-todo = Se `stepwise steps --steps-id ID` mostra i passi di questo veicolo, l'id è giusto e il gateway non offre la chiamata del passo successivo, o qualcosa davanti a lui non la inoltra: avvisare il gestore del gateway. Quell'elenco mostra anche il passo successivo (segnato NEXT)
gw-404-no-steps = il gateway non ha passi per questo carAssociationID
gw-404-no-steps-todo = Controllare il carAssociationID; se è giusto, questo veicolo non ha passi di attivazione dei servizi su questo gateway: chiedere il motivo a chi lo gestisce
gw-409 = il gateway rifiuta: un passo precedente non è fatto
gw-409-todo = Completare prima i passi precedenti
gw-429 = il gateway sta limitando le richieste
gw-408 = il gateway, o qualcosa davanti a esso, ha smesso di attendere la richiesta intera (una connessione lenta o interrotta), il che non è un rifiuto
gw-408-todo = Riprovare; se persiste, avvisare il gestore del gateway (o chi gestisce la rete davanti a esso)
gw-429-todo = Attendere un minuto, poi riprovare
gw-429-todo-past = Limita ancora dopo l'attesa chiesta dal suo Retry-After (stepwise l'ha attesa e ha chiesto di nuovo): attendere un minuto, poi riprovare; se continua, avvisare chi gestisce il gateway
gw-429-todo-after = Attendere { $secs } s (il Retry-After della risposta), poi riprovare
gw-429-todo-absurd = Chiede di attendere { $wait } (il suo Retry-After), cosa che nessun limite di richieste richiede: il suo orologio o la sua impostazione è sbagliata. Avvisare il gestore del gateway
gw-5xx = il gateway ha avuto un guasto
gw-proxy-5xx = il proxy ha risposto con la propria pagina di errore (il gateway forse non è stato raggiunto)
gw-5xx-todo = Riprovare tra un minuto; se persiste, avvisare chi gestisce il gateway
gw-5xx-todo-after = Riprovare tra { $secs } s (il Retry-After della risposta); se persiste, avvisare chi gestisce il gateway
gw-5xx-todo-absurd = Chiede di attendere { $wait } (il suo Retry-After), cosa che nessun riavvio richiede: il suo orologio o la sua impostazione è sbagliata. Riprovare tra un minuto; se persiste, avvisare il gestore del gateway
gw-other = il gateway ha rifiutato la richiesta
gw-3xx = non è tornata nessuna lista: un reindirizzamento senza indirizzo utilizzabile, o un "non modificato" di una cache a una richiesta che non lo chiedeva
gw-3xx-todo = Qualcosa tra qui e il gateway (un proxy, una cache), o il gateway, è configurato male: controllare --api, e avvisare chi gestisce la rete o il gateway
gw-other-todo = Controllare --api e riprovare
gw-other-said-todo = Le sue parole dicono perché; se non aiutano, avvisare chi gestisce il gateway
gw-reset-refused = il gateway ha rifiutato l'azzeramento della cache dei passi
gw-reset-refused-todo = Azzerarla di nuovo non servirà. Le sue parole dicono perché: se dicono che l'account o il dispositivo è bloccato, rimuovere tutte le registrazioni nell'account del cliente e ricominciare; altrimenti avvisare chi gestisce il gateway
gw-reset-refused-conflict-todo = Un conflitto (HTTP 409) può voler dire che per questo veicolo è già in corso un azzeramento o una modifica: attendere un momento, poi azzerare di nuovo; se persiste, avvisare il gestore del gateway
gw-reset-refused-call-todo = HTTP { $status } non dice che l'account o il dispositivo sono bloccati: il gateway, o qualcosa davanti a esso, non ha accettato la chiamata così come è stata inviata. Controllare --api; se è giusto, avvisare il gestore del gateway, con le sue parole
gw-app-code = Codice app { $code }: { $meaning }; { $remedy }
gw-app-code-meaning = Codice app { $code }: { $meaning }.
gw-code = codice { $code }
gw-title-redirects = Ciclo di reindirizzamenti
steps-many-summary-late = senza elenco entro { $secs } s (senza risposta, o non ancora interrogato: stderr dice quale): { $n } ({ $ids })
steps-many-summary-failed = non riusciti: { $n } ({ $ids }), le cause sono su stderr
steps-many-summary = Veicoli elencati: { $listed } su { $total }
cli-shared-steps-id = uno stesso stepsID ({ $id }) è arrivato per { $count } veicoli ({ $cars }). Uno stepsID appartiene a un solo veicolo: un proxy o una cache tra qui e il gateway (che ignora la query), o il gateway stesso, confonde le risposte, quindi questi elenchi possono essere di un altro veicolo. Non farci affidamento; avvisare il gestore del gateway (e l'amministratore della rete, dove è impostato un proxy)
steps-many-late = nessuna risposta entro il termine di { $secs } s (--deadline); potrebbe rispondere a un'esecuzione successiva
steps-many-unsent = non interrogato prima della scadenza di { $secs } s (--deadline): attendeva il suo turno, perché i veicoli sono interrogati pochi alla volta (--concurrency). Indicare un --deadline più lungo o un --concurrency più alto
steps-many-unsent-hung = non interrogato prima della scadenza di { $secs } s (--deadline): i veicoli interrogati prima non hanno avuto risposta (il gateway è occupato o bloccato), quindi un --deadline più lungo o un --concurrency più alto manda solo più richieste nella stessa attesa. Rieseguire quando il gateway risponde (`stepwise doctor` lo verifica); se resta così, segnalarlo a chi gestisce il gateway
steps-many-limited = il gateway ha continuato a limitare le richieste (HTTP 429) fino alla scadenza di { $secs } s (--deadline): ha risposto, ma chiedendo di attendere. Se l'attesa chiesta (detta su stderr) supera { $secs } s, dare una --deadline più lunga di quell'attesa; altrimenti continua a limitare questo client: riprovare più tardi, o chiedere al gestore del gateway del suo limite
steps-many-limited-longer = il gateway ha limitato le richieste (HTTP 429) fino alla scadenza di { $secs } s (--deadline): ha chiesto di attendere { $wait } s, più della scadenza. Dare una --deadline oltre { $wait } s, o eseguire di nuovo dopo quell'attesa
steps-many-limited-again = il gateway ha continuato a limitare le richieste (HTTP 429) fino alla scadenza di { $secs } s (--deadline): dopo i { $wait } s di attesa chiesti, le ha limitate di nuovo. Continua a limitare questo client: riprovare più tardi, o chiedere al gestore del gateway del suo limite
steps-many-held-unsent = non chiesto: il limite del gateway (HTTP 429, risposto a un'altra richiesta) ha trattenuto ogni richiesta fino alla scadenza di { $secs } s (--deadline). Se l'attesa chiesta (detta su stderr) supera { $secs } s, indicare un --deadline più lungo di quell'attesa; altrimenti continua a limitare questo client: riprovare più tardi, o chiedere al gestore del gateway del suo limite
steps-many-retry-held = Il suo nuovo tentativo è stato poi trattenuto dal limite del gateway (HTTP 429, chiesto a un'altra richiesta) fino alla scadenza di { $secs } s (--deadline).
steps-many-paused = Il limite del gateway (HTTP 429, chiesto a un'altra richiesta) trattiene ogni richiesta per altri { $secs } s: riprovare dopo.
steps-many-summary-limited = trattenuti da HTTP 429 fino a { $secs } s: { $n } ({ $ids })
steps-many-summary-shared = sotto uno stepsID con cui è arrivato anche l'elenco di un altro veicolo, non affidabili (stderr dice perché): { $n } ({ $ids })
gw-title-token-refused = Token rifiutato
gw-title-scope = Scope mancante
gw-title-proxy = Risposta del proxy
gw-title-proxy-unreachable = Proxy irraggiungibile
gw-title-not-a-gateway = Non è un gateway dei passi
gw-title-no-list-here = Nessun elenco per questo id
gw-title-call-not-offered = Chiamata non offerta
gw-title-refused = Accesso rifiutato
gw-title-captive-portal = Accesso alla rete richiesto
gw-connect-timed-out = nessuna connessione a { $base } entro { $secs } s: nessuno l'ha accettata (server sovraccarico, o un firewall che scarta i pacchetti). Controllare la rete e --api, poi riprovare
gw-redirects = il gateway { $base } reindirizza in un ciclo, o troppe volte. Controllare --api (l'indirizzo può essere cambiato); se è giusto, avvisare chi gestisce il gateway
gw-wants-tls = il server { $base } parla TLS, ma --api dice http://. Usare https:// in --api
gw-port-plain-http = il server { $base } parla HTTP semplice, non TLS, ma --api dice https://. Usare http:// in --api, o la porta dove serve HTTPS
gw-port-not-http = il server { $base } non parla né HTTP né TLS (ha iniziato con «{ $said }»): la porta in --api è di un altro servizio. Verificare la porta
gw-port-not-http-here = il server { $base } ha risposto a questa richiesta con qualcosa che non è né HTTP né TLS: un server guasto, o non il gateway. Verificare --api
gw-port-tls-closed = il server { $base } ha accettato la connessione, poi l'ha chiusa durante l'handshake TLS: forse non parla TLS su questa porta, o rifiuta questo client. Verificare la porta in --api; `stepwise doctor` dice di più
gw-port-tls-silent = il server { $base } ha accettato la connessione ma non ha fatto alcun handshake TLS in { $secs } s: forse la porta non parla TLS, o il server è bloccato. Verificare la porta in --api; se è giusta, avvisare chi gestisce il gateway
gw-401-login = HTTP 401: il gateway ha rifiutato il token dell'accesso conservato da `stepwise login`. Accedere di nuovo con `stepwise login`; per un gateway a token fisso, conservare quello attuale con `stepwise login --with-token`
gw-token-dropped = HTTP 401: il gateway risponde come se nessun token lo avesse raggiunto (la sua challenge non nomina alcun errore), benché il token fornito tramite { $from } sia uscito tramite il proxy { $proxy }: il proxy forse toglie l'intestazione Authorization, quindi ogni token sarebbe rifiutato allo stesso modo. Impostare NO_PROXY={ $host } se il gateway è raggiungibile senza il proxy, o chiedere a chi gestisce il proxy di lasciar passare l'intestazione Authorization
gw-401-login-expired = HTTP 401: il token dell'accesso conservato da `stepwise login` è scaduto { $ago } fa, e il provider di identità non ha dato alcun token di aggiornamento per rinnovarlo: per questo il gateway lo rifiuta. Accedere di nuovo con `stepwise login`
gw-401-login-no-signin = HTTP 401: il gateway ha rifiutato il token conservato con `stepwise login --with-token`. Non offre accesso: il suo token viene da chi lo gestisce. Chiedergli il token attuale e conservarlo con `stepwise login --with-token`
gw-401-config = HTTP 401: il gateway ha rifiutato il token del file di configurazione (`token` o `token_file`). Inserirvi il token attuale di questo gateway, o toglierlo e accedere con `stepwise login`
gw-401-environment = HTTP 401: il gateway ha rifiutato il token in STEPWISE_TOKEN. Impostarla sul token attuale di questo gateway, o rimuoverla e accedere con `stepwise login`
gw-401-environment-login-kept = HTTP 401: il gateway ha rifiutato il token in STEPWISE_TOKEN, che prevale sull'accesso conservato per questo gateway. Rimuovere STEPWISE_TOKEN per usare quell'accesso (il gateway l'ha appena accettato), o impostarla sul token attuale di questo gateway
gw-401-environment-login-refused = HTTP 401: il gateway ha rifiutato il token in STEPWISE_TOKEN, e anche l'accesso conservato per questo gateway (provato ora). Impostare STEPWISE_TOKEN sul token attuale di questo gateway; anche l'accesso conservato va rinnovato (`stepwise login`, o `stepwise login --with-token` dove il gateway non offre l'accesso)
gw-401-token-file = HTTP 401: il gateway ha rifiutato il token di --token-file. Mettere in quel file il token attuale di questo gateway, o togliere --token-file e accedere con `stepwise login`
gw-401-token-file-login-kept = HTTP 401: il gateway ha rifiutato il token di --token-file, che prevale sull'accesso conservato per questo gateway. Togliere --token-file per usare quell'accesso (il gateway l'ha appena accettato), o mettere in quel file il token attuale di questo gateway
gw-401-token-file-login-refused = HTTP 401: il gateway ha rifiutato il token di --token-file, e anche l'accesso conservato per questo gateway (provato ora). Mettere in quel file il token attuale di questo gateway; anche l'accesso conservato va rinnovato (`stepwise login`, o `stepwise login --with-token` dove il gateway non offre l'accesso)
gw-401-none = HTTP 401: il gateway vuole un token, e non ne è stato inviato nessuno. Accedere con `stepwise login`, o fornire un token con --token-file PERCORSO, STEPWISE_TOKEN o `token` nel file di configurazione
gw-401-expired = Il token è scaduto da { $ago }, secondo la scadenza scritta al suo interno: per questo viene rifiutato
gw-401-said = Il gateway dice: «{ $said }»
gw-401-none-no-signin = HTTP 401: il gateway vuole un token e non ne è stato inviato nessuno. Non offre accesso: il suo token viene da chi lo gestisce. Conservare quel token con `stepwise login --with-token`, oppure darlo con --token-file PERCORSO, STEPWISE_TOKEN o `token` nel file di configurazione
gw-404-demo = HTTP 404: il backend demo non conosce questo id{ $said }. Nessun gateway è configurato (né --api, né STEPWISE_API, né `api` nel file di configurazione), quindi ha risposto la demo integrata, che conosce solo { $ids }. Per interrogare il proprio gateway, indicare --api URL
gw-404-demo-steps-id = HTTP 404: il backend demo non conosce questo stepsID{ $said }. Nessun gateway è configurato (né --api, né STEPWISE_API, né `api` nel file di configurazione), quindi ha risposto la demo integrata. I suoi stepsID arrivano con un elenco chiesto per carAssociationID (conosce { $ids }): `stepwise steps --car ID` ne dà uno. Per interrogare il proprio gateway, indicare --api URL
gw-404-demo-wizard = HTTP 404: il backend demo non conosce questo id{ $said }. Nessun gateway è configurato (né --api, né STEPWISE_API, né `api` nel file di configurazione), quindi ha risposto la demo integrata; la schermata iniziale propone gli id che conosce. Per interrogare il proprio gateway, uscire e ripartire con --api URL
gw-404-demo-board = HTTP 404: il backend demo non conosce questo id{ $said }. Nessun gateway è configurato (né --api, né STEPWISE_API, né `api` nel file di configurazione), quindi ha risposto la demo integrata, che conosce solo i propri veicoli (`stepwise demo --board` apre un pannello con tutti). Per interrogare il proprio gateway, uscire e ripartire con --api URL
gw-404-demo-command = HTTP 404: il backend dimostrativo non conosce questo id{ $said }. `stepwise demo` gira sempre sulla demo integrata, che conosce solo i propri id (quelli che offre). Per interrogare il proprio gateway, uscire ed eseguire `stepwise --api URL --car ID`, o `stepwise fleet --api URL --cars FILE` per un quadro
gw-401-login-unreadable = HTTP 401: il gateway vuole un token, e non ne è stato inviato nessuno: gli accessi conservati da `stepwise login` non si sono potuti leggere: { $why }. Oppure fornire un token con --token-file PERCORSO, STEPWISE_TOKEN o `token` nel file di configurazione
gw-401-login-damaged = HTTP 401: il gateway vuole un token, e non ne è stato inviato nessuno: { $why }, poi eseguire `stepwise login` per accedere di nuovo. Oppure fornire un token con --token-file PERCORSO, STEPWISE_TOKEN o `token` nel file di configurazione
gw-401-config-no-signin = HTTP 401: il gateway ha rifiutato il token del file di configurazione (`token` o `token_file`). Non offre accesso: il suo token viene da chi lo gestisce. Metterci il token attuale di questo gateway
gw-401-environment-no-signin = HTTP 401: il gateway ha rifiutato il token in STEPWISE_TOKEN. Non offre accesso: il suo token viene da chi lo gestisce. Impostare STEPWISE_TOKEN al token attuale di questo gateway
gw-401-token-file-no-signin = HTTP 401: il gateway ha rifiutato il token di --token-file. Non offre accesso: il suo token viene da chi lo gestisce. Mettere in quel file il token attuale di questo gateway
gw-proxy-other-todo = Controllare { $from } (la variabile del proxy in uso), impostare NO_PROXY per l'host del gateway se è raggiungibile senza il proxy, o chiedere a chi gestisce il proxy
gw-proxy-429-todo = Il proxy sta limitando le richieste: attendere qualche minuto (il suo Retry-After, se ne ha dato uno), poi riprovare; se continua, chiedere a chi gestisce il proxy
gw-proxy-429-wait-todo = Il proxy limita le richieste e chiede di attendere { $secs } s: riprovare dopo; se continua, chiedere a chi gestisce il proxy
gw-proxy-unset-407 = un proxy di questa rete ha risposto da sé HTTP { $status }{ $said }, anche se qui non ne è impostato alcuno: la richiesta non ha quindi mai raggiunto il gateway. Impostare HTTPS_PROXY (HTTP_PROXY per un gateway http://) a http://utente:password@proxy:porta con l'indirizzo di quel proxy, oppure chiedere all'amministratore della rete
gw-proxy-unreachable = impossibile collegarsi al proxy { $proxy } (da { $from }): { $detail }. Il gateway non è stato interpellato. Controllare la variabile del proxy, o impostare NO_PROXY={ $host } se il gateway è raggiungibile senza il proxy
gw-proxy-silent = il proxy { $proxy } (da { $from }) non ha aperto alcuna via verso { $host } entro { $secs } s: non ha accettato la connessione, oppure l'ha accettata senza mai rispondere. Il gateway non è stato interpellato. Controllare che il proxy funzioni e che la variabile del proxy lo indichi, chiedere a chi gestisce il proxy, oppure impostare NO_PROXY={ $host } se il gateway è raggiungibile senza il proxy
gw-proxy-tunnel = il proxy { $proxy } (da { $from }) non ha aperto un tunnel (CONNECT) verso { $host }: la richiesta non ha mai raggiunto il gateway; rifiuta questo host e questa porta, o non ha potuto raggiungere il gateway (fermo, o un nome che il proxy non conosce). Controllare che il gateway sia attivo e che l'host in --api sia giusto, chiedere a chi gestisce il proxy se lascia passare questo host e questa porta, o impostare NO_PROXY={ $host } se il gateway è raggiungibile senza il proxy
gw-proxy-no-tunnel = ciò che { $from } indica, { $proxy }, ha risposto HTTP { $status } a CONNECT: non apre alcun tunnel, quindi è un server web, o un proxy che non sa trasportare https://. Il gateway non è stato interpellato. Controllare { $from }: deve indicare un proxy HTTP che fa da tunnel per https (spesso porta 3128 o 8080)
gw-proxy-tunnel-closed = il proxy { $proxy } (da { $from }) ha aperto un tunnel verso { $host }, poi è stato chiuso durante l'handshake TLS: il proxy, o ciò che sta dietro, l'ha interrotto. Chiedere a chi gestisce il proxy se lascia passare TLS verso questo host, o impostare NO_PROXY={ $host } se il gateway è raggiungibile senza il proxy
tls-or-plain-http = Oppure il gateway in fondo parla HTTP semplice su quella porta, mentre --api dice https://: allora usare http:// in --api (`stepwise doctor` senza il proxy, NO_PROXY={ $host }, dice quale)
gw-proxy-garbled = ciò che è tornato attraverso il proxy { $proxy } (da { $from }) non è HTTP: la variabile del proxy forse indica qualcosa che non è un proxy HTTP, o il proxy è guasto. Controllare la variabile del proxy, chiedere a chi gestisce il proxy, o impostare NO_PROXY={ $host } se il gateway è raggiungibile senza il proxy
gw-proxy-empty = la risposta arrivata attraverso il proxy { $proxy } (da { $from }) è vuota, dove era attesa una lista di passi JSON: forse il proxy ha risposto da sé, o ha passato una risposta vuota. Controllare la variabile del proxy, chiedere a chi gestisce il proxy, o impostare NO_PROXY={ $host } se il gateway è raggiungibile senza il proxy
gw-proxy-html = ciò che è arrivato attraverso il proxy { $proxy } (da { $from }) è una pagina HTML, dove era attesa una lista di passi JSON: la pagina del proxy stesso (una pagina di accesso o un portale), o un server web a --api. Impostare NO_PROXY={ $host } se il gateway è raggiungibile senza il proxy; altrimenti controllare che --api indichi un gateway dei passi
gw-proxy-no-list = ciò che è arrivato attraverso il proxy { $proxy } (da { $from }) non è una lista di passi: { $why }. Il proxy può aver risposto da sé, oppure ciò che risponde a --api non è un gateway dei passi. Impostare NO_PROXY={ $host } se il gateway è raggiungibile senza il proxy; se da questo --api sono già arrivati elenchi, chiedere a chi gestisce il proxy che cosa ha risposto; altrimenti controllare che --api indichi un gateway dei passi
gw-proxy-too-large = ciò che è arrivato attraverso il proxy { $proxy } (da { $from }) supera { $kib } KiB e non è stato letto oltre: nessuna lista di passi è così grande. Il proxy può aver risposto da sé, oppure ciò che risponde a --api non è un gateway dei passi. Impostare NO_PROXY={ $host } se il gateway è raggiungibile senza il proxy; se da questo --api sono già arrivati elenchi, chiedere a chi gestisce il proxy che cosa ha risposto; altrimenti controllare che --api indichi un gateway dei passi
gw-proxy-closed = il proxy { $proxy } (da { $from }) ha chiuso la connessione senza risposta: non si sa se il gateway è stato interpellato. Riprovare; se persiste, chiedere a chi gestisce il proxy, o impostare NO_PROXY={ $host } se il gateway è raggiungibile senza il proxy
gw-proxy-connect-closed = il proxy { $proxy } (da { $from }) ha chiuso la connessione senza rispondere alla richiesta di un tunnel (CONNECT) verso { $host }, quindi il gateway non è stato interpellato. Riprovare; se persiste, chiedere a chi gestisce il proxy se lascia passare questo host, oppure impostare NO_PROXY={ $host } se il gateway è raggiungibile senza il proxy
gw-proxy-5xx-todo = Il proxy non ha inoltrato questa richiesta. Se nulla passa attraverso di esso verso questa --api, controllare che il gateway sia attivo e che --api sia giusto; se altre richieste passano (elenchi di altri veicoli), il proxy fa fallire questa: chiedere a chi lo gestisce
gw-proxy-5xx-wait-todo = Il proxy non ha inoltrato questa richiesta, e chiede di attendere { $secs } s (il suo Retry-After): riprovare dopo. Se niente passa attraverso di esso verso questa --api, controllare che il gateway sia attivo e che --api sia giusta; se altre richieste passano (gli elenchi di altri veicoli), il proxy fallisce su questa: chiedere a chi lo gestisce
gw-proxy-loopback = il gateway è su questa macchina ({ $host }), ma { $from } manda le sue richieste al proxy { $proxy }, che ha risposto da sé HTTP { $status }: la richiesta non ha mai raggiunto il gateway. Il proxy (o uno a cui inoltra) non raggiunge gli indirizzi propri di questa macchina: impostare NO_PROXY={ $host } e riprovare
gw-proxy-loopback-tunnel = il gateway è su questa macchina ({ $host }), ma { $from } manda le sue richieste al proxy { $proxy }, che non ha aperto un tunnel (CONNECT) verso di esso: la richiesta non ha mai raggiunto il gateway. Il proxy (o uno a cui inoltra) non raggiunge gli indirizzi propri di questa macchina: impostare NO_PROXY={ $host } e riprovare
gw-proxy-loopback-down = nulla è in ascolto su { $host }:{ $port }, l'indirizzo del gateway su questa macchina (provato direttamente): il gateway non è in esecuzione lì, quindi nemmeno il proxy { $proxy } (da { $from }) ha potuto raggiungerlo. Controllare che il gateway sia in esecuzione e che la porta in --api sia giusta
gw-proxy-refused-todo = Il proxy ha rifiutato nome utente e password: controllarli nella variabile del proxy (http://utente:password@proxy:porta), o chiedere a chi gestisce il proxy
gw-proxy-401-basic-todo = Chiede un nome utente e una password (Basic) con HTTP 401. Un proxy che chiede così (tinyproxy lo fa) li prende dalla variabile del proxy (http://user:password@proxy:port); l'accesso di un server web dietro il proxy non ne prende nessuno da essa, e stepwise non può rispondervi: allora chiedere a chi lo gestisce, oppure impostare NO_PROXY per l'host del gateway se è raggiungibile direttamente
gw-proxy-401-basic-refused-todo = Chiede un nome utente e una password (Basic) con HTTP 401 anche se la variabile del proxy ne contiene: il proxy li ha rifiutati (controllarli, con caratteri come @ o : codificati in percentuale), oppure l'accesso è di un server web dietro il proxy, che non ne prende nessuno dalla variabile del proxy e a cui stepwise non può rispondere. Chiedere a chi gestisce il proxy, oppure impostare NO_PROXY per l'host del gateway se è raggiungibile direttamente
gw-proxy-portal-todo = Il proxy, o un portale davanti a esso, chiede un accesso proprio (quello di un portale, o uno schema diverso da Basic), a cui nessun nome utente e password nella variabile del proxy risponde: accedervi in un browser su questa macchina, o chiedere a chi gestisce il proxy; oppure impostare NO_PROXY per l'host del gateway se è raggiungibile direttamente
gw-proxy-forbidden-todo = Il proxy rifiuta questa richiesta per regole proprie (questo indirizzo, o questo client): chiedere a chi gestisce il proxy di lasciar passare l'indirizzo del gateway, oppure impostare NO_PROXY per l'host del gateway se è raggiungibile senza il proxy
gw-proxy-credentials-refused = il proxy { $proxy } (da { $from }) ha rifiutato nome utente e password della variabile del proxy (HTTP 407), quindi la richiesta non ha mai raggiunto il gateway. Controllarli (http://utente:password@proxy:porta, con caratteri come @ o : codificati in percentuale), oppure chiedere a chi gestisce il proxy
gw-proxy-407-todo = Il proxy vuole nome utente e password: inserirli nella variabile del proxy (http://utente:password@proxy:porta), o impostare NO_PROXY per l'host del gateway se è raggiungibile direttamente
gw-proxy-windows-todo = Il proxy chiede un accesso Windows (Negotiate o NTLM), che stepwise non può dare: nessun nome utente e password nella variabile del proxy vi risponde. Chiedere a chi gestisce il proxy di lasciar passare l'indirizzo del gateway senza di esso (o di offrire Basic), oppure impostare NO_PROXY per l'host del gateway se è raggiungibile direttamente
gw-proxy = il proxy { $proxy } (da { $from }) ha risposto da sé HTTP { $status }{ $said }: la richiesta non ha mai raggiunto il gateway. { $todo }
gw-not-a-gateway = { $base } ha risposto HTTP { $status } senza il corpo d'errore di un gateway: questo indirizzo non è un gateway dei passi (un percorso sbagliato in --api, o un altro server web). Dare a --api l'URL di base sotto cui si trova pims/subscription/steps, per esempio https://gateway.example/ o https://host/prefisso/
gw-not-a-gateway-listed = { $base } ha risposto HTTP { $status } senza il corpo d'errore di un gateway, anche se in questa sessione da questo indirizzo sono arrivati elenchi di altri veicoli: --api è giusto, e molto probabilmente il gateway non conosce questo id. Controllare l'id; se è giusto, segnalarlo a chi gestisce il gateway (una rotta davanti a esso può rifiutare questa sola richiesta)
gw-not-a-gateway-proxy = { $base } ha risposto HTTP { $status } attraverso il proxy { $proxy }, senza il corpo d'errore di un gateway: la pagina del proxy stesso (un nome host che non ha potuto risolvere o raggiungere), o un indirizzo che non è un gateway dei passi. Controllare il nome host in --api, o impostare NO_PROXY={ $host } se il gateway è raggiungibile senza il proxy; se l'host è giusto, dare a --api l'URL di base sotto cui si trova pims/subscription/steps, per esempio https://gateway.example/
gw-call-not-offered = { $base } ha risposto HTTP { $status } senza corpo di errore di un gateway alla chiamata { $call }. Se l'elenco per carAssociationID funziona a questo indirizzo (`stepwise steps --car ID`), --api è giusto e il gateway non offre questa chiamata, o qualcosa davanti a lui non la inoltra: avvisare il gestore del gateway. Altrimenti --api non è l'URL di base di un gateway dei passi: dargli quello sotto cui si trova pims/subscription/steps, come https://gateway.example/
gw-not-a-gateway-path = { $base } ha risposto HTTP { $status }: --api contiene il percorso della chiamata ({ $path }), che stepwise aggiunge da sé. Dare a --api l'indirizzo che lo precede: { $suggested }
gw-basic-prompt = { $base } chiede nome utente e password (HTTP 401, Basic): l'accesso di un server web o di un reverse proxy, a cui stepwise non può rispondere; un gateway dei passi accetta un token bearer. Controllare --api, o chiedere a chi gestisce quel server di lasciar passare le richieste al gateway
gw-windows-prompt = { $base } chiede l'accesso Windows (HTTP 401, Negotiate o NTLM): l'accesso di un server web o di un reverse proxy, a cui stepwise non può rispondere; un gateway dei passi accetta un token bearer. Verificare --api, o chiedere a chi gestisce quel server di lasciar passare le richieste al gateway
gw-refused = { $base } ha risposto HTTP { $status }{ $said }{ $via } senza un corpo d'errore nella forma del contratto del gateway: preso come accesso rifiutato da qualcosa davanti al gateway (un firewall, un firewall applicativo o un reverse proxy), non come uno stepsID rifiutato. Controllare il token e i suoi diritti; se sono giusti, chiedere a chi gestisce la rete se blocca questo indirizzo
gw-refused-no-token = { $base } ha risposto HTTP { $status }{ $said }{ $via } senza un corpo d'errore nella forma del contratto del gateway: preso come accesso rifiutato da qualcosa davanti al gateway (un firewall, un firewall applicativo o un reverse proxy), non come uno stepsID rifiutato. Nessun token è stato inviato. Dove nessun veicolo ottiene il suo elenco da questo gateway senza token, il gateway forse ne vuole uno: darlo (--token-file PERCORSO, STEPWISE_TOKEN, `stepwise login` o, dove il gateway non offre accesso, `stepwise login --with-token`). Dove altri veicoli ottengono i loro elenchi da questo gateway senza token, non ne manca nessuno: chiedere a chi gestisce la rete o il gateway perché la chiamata di questo veicolo è bloccata
gw-refused-via-proxy = { $base } ha risposto HTTP { $status }{ $said } attraverso il proxy { $proxy }, senza il corpo di errore di un gateway: il proxy, o qualcosa davanti al gateway, ha rifiutato la richiesta. Chiedere a chi gestisce il proxy se lascia passare questo indirizzo, oppure impostare NO_PROXY={ $host } se il gateway è raggiungibile senza il proxy
gw-401-via-proxy = { $base } ha risposto HTTP 401{ $said } attraverso il proxy { $proxy }, una pagina web, non il corpo di errore di un gateway: il proxy, un portale davanti a esso, o qualcosa davanti al gateway (un reverse proxy, un server web) chiede un accesso proprio, a cui nessun token del gateway risponde. Accedervi in un browser su questa macchina, o chiedere a chi gestisce il proxy e il gateway; oppure impostare NO_PROXY={ $host } se il gateway è raggiungibile senza il proxy
gw-401-bare-through-proxy = Questa risposta è arrivata attraverso il proxy { $proxy } (da { $from }) come un HTTP 401 nudo, senza corpo né challenge, che può aver dato il proxy stesso: se un token non lo supera, chiedere a chi gestisce il proxy se chiede un accesso proprio, oppure impostare NO_PROXY={ $host } se il gateway è raggiungibile direttamente
gw-front-400 = { $base } ha risposto HTTP { $status }{ $said }{ $via } con una pagina web, senza il corpo d'errore di un gateway: qualcosa davanti al gateway (un reverse proxy o un web application firewall) ha rifiutato la richiesta, quindi il gateway non l'ha mai eseguita. L'id non è la causa (stepwise lo controlla prima dell'invio), e --api è giusto se ne sono già arrivati elenchi: chiedi a chi gestisce quell'indirizzo cosa significa la sua pagina
gw-front-401 = { $base } ha risposto HTTP 401{ $said } con una pagina web e senza challenge di accesso (nessuna intestazione WWW-Authenticate), dove un gateway dei passi risponde con il suo corpo d'errore e dice come vuole il suo token: qualcosa davanti al gateway (un reverse proxy, un server web o un portale) chiede un accesso proprio. Se prima sono arrivate liste da questo indirizzo senza token, non manca alcun token del gateway: chiedere a chi gestisce la rete o il gateway che cosa chiede questo accesso; altrimenti, chiedere loro se il gateway vuole un token lì
gw-title-unreachable = Gateway irraggiungibile
gw-title-timed-out = Gateway senza risposta
gw-title-timed-out-proxy = Nessuna risposta tramite il proxy
gw-title-bad-request = Richiesta rifiutata
gw-title-unauthorized = Serve un token
gw-title-wrong-device = stepsID di un altro dispositivo
gw-title-forbidden = Rifiutato dal gateway
gw-title-not-found = Id sconosciuto
gw-title-no-steps = Nessun passo
gw-title-conflict = Ordine sbagliato
gw-title-reset-refused = Azzeramento rifiutato
gw-title-too-many = Troppe richieste
gw-title-server-failure = Guasto del gateway
gw-title-failed = Richiesta fallita
gw-title-too-large = Risposta troppo grande
gw-title-bad-answer = Risposta inutilizzabile
gw-title-config = Configurazione errata

## The guidance pages the customer's phone opens

page-kicker = Attivare i servizi connessi: un passo
page-errors = Codici che l'app può mostrare in questo passo
page-footer = Mostrato dal tuo concessionario con stepwise
page-does = Passaggi da seguire:
page-needs = Cosa ti serve:
page-errors-hint = Se l'app mostra uno di questi codici, comunicalo al tuo concessionario: sa cosa fare.
page-unknown-purpose = Lo strumento del tuo concessionario non ha istruzioni per questo passaggio.
page-unknown-does =
    Apri l'app e segui ciò che chiede per questo passaggio.
    Se l'app mostra un codice di errore, annotalo e mostralo al tuo concessionario.
page-step-deviceActivation-purpose = Registra questo telefono per l'autenticazione forte: il telefono è ciò che hai, il codice PIN ciò che sai.
page-step-mediumCarKey-purpose = Dimostra che possiedi davvero le chiavi del veicolo. Va fatta una sola volta.
page-step-trusterPhoneNumber-needs =
    Il telefono con il numero da rendere attendibile, acceso e in grado di ricevere SMS
    L'app mobile del veicolo, con l'accesso al tuo account
page-step-deviceActivation-needs =
    Il telefono da attivare, con il numero attendibile in grado di ricevere SMS
    Il tuo codice PIN se ne hai già uno, altrimenti uno nuovo da ricordare
    Una connessione dati funzionante sul telefono
page-step-mediumCarKey-needs =
    Il telefono già abbinato al veicolo via Bluetooth
    Le chiavi del veicolo, restando a bordo
    Posizione (Localizzazione su iPhone) e Bluetooth attivi nelle impostazioni del telefono

gw-title-tls = Connessione sicura fallita
gw-title-live = Flusso in diretta guasto
gw-title-live-contradicted = Il flusso in diretta contraddice gli elenchi
gw-title-live-left-out = Il flusso in diretta omette elenchi
gw-title-live-refused = Flusso in diretta rifiutato
gw-title-live-not-offered = Flusso in diretta non più offerto
gw-title-live-page = Flusso in diretta sostituito da una pagina web
gw-title-live-compressed = Flusso in diretta compresso
gw-title-token-dropped = Token perso per strada

## A TLS connection that failed, named; { $via } is empty or names the proxy

tls-via-proxy = { " " }(attraverso il proxy { $proxy })
tls-unknown-issuer = il gateway { $base }{ $via } ha presentato un certificato di un emittente sconosciuto (un'autorità privata, o un proxy che ispeziona il TLS). Dare fiducia a quell'autorità con --ca-file FILE (il suo certificato, PEM), o STEPWISE_CA_FILE; se ne è già indicato uno, non è l'autorità che ha firmato questo certificato (un certificato del server invece della sua autorità, o un'autorità rigenerata nel frattempo): usare il certificato attuale dell'autorità del gateway. O il gateway non invia l'autorità intermedia che collega il suo certificato a quell'autorità (stepwise doctor lo dice)
tls-expired = il certificato del gateway { $base } è scaduto. Controllare la data di questo computer; se è giusta, avvisare chi gestisce il gateway
tls-not-yet-valid = il certificato del gateway { $base } non è ancora valido. Controllare data e ora di questo computer; se sono giuste, avvisare chi gestisce il gateway
tls-wrong-host = il certificato del gateway { $base } non è emesso per { $host }. Usare in --api il nome host o l'indirizzo per cui il certificato è stato emesso
tls-wrong-host-names = il certificato del gateway { $base } è emesso per { $names }, non per { $host }. Usarne uno in --api, o far emettere il certificato del gateway per { $host }
tls-no-host-names = il certificato del gateway { $base } non nomina alcun host (nessun nome alternativo del soggetto; TLS non legge più il solo common name). Nessun --api lo risolve: far riemettere il certificato con il nome host come nome alternativo del soggetto
tls-old-version = il certificato del gateway { $base } è un certificato X.509 versione 1, che TLS non accetta più. Nessun --api, --ca-file o certificato client può rimediare: far riemettere il certificato in versione 3, con il nome host come nome alternativo del soggetto
tls-certificate-required = il gateway { $base } richiede un certificato client. Fornirne uno con --client-cert FILE --client-key FILE
tls-client-refused = il gateway { $base } ha rifiutato il certificato client ({ $alert }). Usare un certificato emesso dall'autorità di cui il gateway si fida; `stepwise doctor` ne controlla anche le date
tls-client-expired = il gateway { $base } segnala che il certificato client è scaduto. Chiederne uno nuovo a chi l'ha emesso (--client-cert, --client-key) e controllare la data di questo computer
tls-client-unsupported = il gateway { $base } ha rifiutato il certificato client come non supportato: di solito non è fatto per un client (il certificato di un server, il cui uso della chiave non include l'autenticazione client). Usare un certificato emesso per l'autenticazione client (--client-cert, --client-key)
tls-authority-as-server = il gateway { $base } presenta il certificato di un'autorità (CA:TRUE) come proprio certificato server, cosa che TLS non accetta. Chiedere a chi gestisce il gateway di usare un certificato server firmato da quell'autorità; il certificato dell'autorità è quello da dare a --ca-file
tls-handshake-refused = il gateway { $base }{ $via } ha rifiutato l'handshake TLS ({ $alert }). Controllare --api; se è giusto, avvisare chi gestisce il gateway
tls-not-tls = il server { $base }{ $via } non parla TLS. Controllare la porta, o usare http:// se il gateway non ha TLS
tls-not-tls-proxy = attraverso il proxy { $proxy }, ciò che è tornato per { $base } non è TLS: il proxy, o un filtro dietro di esso, ha risposto al posto del gateway (una pagina di blocco, un'ispezione). Chiedere a chi gestisce il proxy se lascia passare TLS verso questo host, o impostare NO_PROXY={ $host } se il gateway è raggiungibile senza il proxy
tls-other = la connessione TLS al gateway { $base }{ $via } è fallita: { $what }. Controllare --api, --ca-file e il certificato client

## Step guidance

step-trusterPhoneNumber-title = Numero di telefono attendibile
step-trusterPhoneNumber-purpose = Registra il numero di telefono di cui l'account si fiderà per i codici di sicurezza. Va fatto prima dell'attivazione del dispositivo.
step-trusterPhoneNumber-needs =
    Il telefono con il numero da rendere attendibile, acceso e in grado di ricevere SMS
    L'app mobile del veicolo, con l'accesso all'account del cliente
step-trusterPhoneNumber-does =
    Nell'app, inserire o confermare il numero di telefono attendibile.
    Attendere l'SMS con il codice su quel numero (può volerci un minuto).
    Digitare il codice SMS nel campo del codice dell'app e confermare.
    Se il codice è rifiutato o scaduto, chiederne uno nuovo nell'app e riprovare.

step-deviceActivation-title = Attivazione del dispositivo
step-deviceActivation-purpose = Registra questo telefono per l'autenticazione forte: il telefono è ciò che il cliente ha, il codice PIN ciò che sa.
step-deviceActivation-needs =
    Il telefono da attivare, con il numero attendibile in grado di ricevere SMS
    Il codice PIN del cliente se ne ha già uno, altrimenti uno nuovo da ricordare
    Una connessione dati funzionante sul telefono
step-deviceActivation-does =
    Avviare l'attivazione del dispositivo nell'app e attendere l'SMS sul numero attendibile.
    Inserire il codice SMS quando l'app lo chiede (nel campo del codice, non in quello del PIN).
    Inserire il codice PIN esistente, o crearne uno se l'app lo chiede.
    Se l'account è bloccato (troppi dispositivi o attivazioni via SMS), rimuovere le associazioni (dispositivi registrati sull'account) inutilizzate e ricominciare.
    Se il PIN è bloccato dopo troppi tentativi errati, reimpostarlo dall'app e poi attivare di nuovo.

step-mediumCarKey-title = Verifica CarKey
step-mediumCarKey-purpose = Dimostra che il cliente possiede davvero le chiavi del veicolo. Va fatta una sola volta.
step-mediumCarKey-needs =
    Il telefono già abbinato al veicolo via Bluetooth
    Le chiavi del veicolo, con il cliente seduto a bordo
    Posizione (Localizzazione su iPhone) e Bluetooth attivi nelle impostazioni del telefono
step-mediumCarKey-does =
    Sedersi nel veicolo con le chiavi e il telefono.
    Controllare che Posizione e Bluetooth siano attivi e che il veicolo risulti abbinato nelle impostazioni Bluetooth del telefono.
    Avviare la verifica CarKey nell'app e seguire le indicazioni sulla chiave.
    Restare nel veicolo finché l'app conferma la riuscita.

step-generic-purpose = stepwise non conosce questo passo e non ha istruzioni integrate.
step-generic-needs =
    Il telefono del cliente con l'app aperta e l'accesso fatto
    Tutto ciò che l'app chiede sullo schermo (codici, PIN, chiavi, accesso al veicolo)
step-generic-does =
    Chiedere al cliente di aprire l'app e seguire le indicazioni per questo passo.
    Annotare il nome del passo e ogni codice d'errore mostrato.
    Cercare il passo nella documentazione del costruttore o nell'aiuto del concessionario.
    Aggiornare qui la lista dei passi quando il cliente ha finito.

## App error codes

code-2000-meaning = Errore generico
code-2000-remedy = Far riprovare il cliente; se continua a fallire, annotare il codice e segnalarlo.
code-2201-meaning = Richiesta scaduta (timeout)
code-2201-remedy = Riprovare e controllare che il telefono abbia buona copertura mobile o Wi-Fi.
code-2202-meaning = Nessuna connessione Internet
code-2202-remedy = Controllare i dati mobili o il Wi-Fi del telefono, poi riprovare.
code-2204-meaning = Errore del server
code-2204-remedy = Attendere e riprovare più tardi; segnalarlo se si ripete.
code-2301-meaning = Serve l'autenticazione di base
code-2301-remedy = Chiedere al cliente di uscire dall'account nell'app e rientrare, poi riprovare.
code-2302-meaning = Serve l'autenticazione forte
code-2302-remedy = Il cliente deve confermare con il suo codice PIN (OTP con PIN) nell'app, poi riprovare.
code-2305-meaning = Il codice SMS non è valido
code-2305-remedy = Farsi inviare un nuovo codice dall'app e digitarlo con cura nel campo del codice.
code-2306-meaning = Il codice SMS è scaduto
code-2306-remedy = Farsi inviare un nuovo codice dall'app e inserirlo subito.
code-2307-meaning = L'account non ha un numero di telefono
code-2307-remedy = Registrare prima un numero di telefono attendibile (passo trusterPhoneNumber).
code-2308-meaning = Il servizio di autenticazione ha negato l'accesso
code-2308-remedy = Controllare il codice SMS e il codice PIN digitati, ognuno nel campo giusto, poi riprovare.
code-2310-meaning = L'account è bloccato
code-2310-remedy = Rimuovere le associazioni dell'account (dispositivi registrati; almeno quelle inutilizzate) e registrare di nuovo questo telefono.
code-2311-meaning = Lo stato di autenticazione non è corretto
code-2311-remedy = Azzerare la cache dei passi (tasto R della procedura, o `stepwise steps --car ID --reset`), poi registrare di nuovo il dispositivo.
code-2312-meaning = Il dispositivo è disattivato o sconosciuto
code-2312-remedy = Azzerare la cache dei passi (tasto R della procedura, o `stepwise steps --car ID --reset`), poi attivare di nuovo il dispositivo.
code-2317-meaning = Operazione vietata con il PIN (dispositivo attivato, bloccato o aggiornabile)
code-2317-remedy = Azzerare la cache dei passi (tasto R della procedura, o `stepwise steps --car ID --reset`), poi attivare di nuovo il dispositivo. Se persiste, l'account è bloccato: rimuovere tutte le associazioni e ricominciare.
code-2323-meaning = L'utente non è il proprietario di questo veicolo
code-2323-remedy = Controllare che il veicolo sia associato all'account del cliente e che il carAssociationID sia giusto.
code-2341-meaning = CarKey: Posizione o Bluetooth spenti
code-2341-remedy = Attivare Posizione e Bluetooth sul telefono, poi ripetere la verifica CarKey.
code-2342-meaning = CarKey: il telefono non è abbinato al veicolo via Bluetooth
code-2342-remedy = Abbinare il telefono al veicolo via Bluetooth, poi ripetere la verifica CarKey.
code-2346-meaning = Nessun passo per questo stepsID
code-2346-remedy = Ricominciare con il carAssociationID per avere una lista dei passi nuova.
code-2354-meaning = CarKey: posizione della chiave non valida
code-2354-remedy = Far sedere il cliente nel veicolo con le chiavi e ripetere la verifica CarKey.
code-2355-meaning = CarKey: firma non valida
code-2355-remedy = Ripetere la verifica CarKey dall'interno del veicolo con le chiavi; segnalarlo se continua a fallire.
code-2356-meaning = CarKey: marca temporale non valida
code-2356-remedy = Controllare che data e ora del telefono siano automatiche, poi ripetere la verifica CarKey.
code-2390-meaning = Il numero di telefono è già registrato
code-2390-remedy = Niente da correggere: proseguire con quel numero come attendibile.

## Codes and strings the open clients show their users

client-maxnbtools-meaning = Account bloccato: limite di associazioni / SMS ricevuti raggiunto
client-maxnbtools-remedy = Rimuovere telefoni e associazioni (dispositivi registrati sull'account) inutilizzati nell'app mobile del veicolo (ripristinare l'account), poi attivare di nuovo. Se persiste, solo l'assistenza del costruttore può ripristinare l'account, e possono volerci giorni.
client-forbidden-meaning = La registrazione OTP è stata rifiutata (stessa famiglia di MAXNBTOOLS)
client-forbidden-remedy = Rifare l'attivazione del dispositivo dall'inizio. Se viene rifiutata ancora, trattarla come MAXNBTOOLS: rimuovere i dispositivi inutilizzati e ripristinare l'account.
client-access-meaning = Codice SMS o codice PIN non valido
client-access-remedy = Inserirli di nuovo: il codice SMS nel campo del codice, il codice PIN dell'app nel campo del PIN.
client-blocked-meaning = Troppi codici PIN errati: il PIN è bloccato
client-blocked-remedy = Reimpostare il codice PIN nell'app mobile del veicolo, poi attivare di nuovo il dispositivo.
client-code-meaning = Probabilmente un codice PIN dell'app errato (non certo)
client-code-remedy = Riprovare con il codice PIN corretto dell'app.
client-sn-meaning = Il codice SMS non è stato accettato (non certo; visto quando è stato digitato o compilato in automatico altro)
client-sn-remedy = Chiedere un nuovo SMS e digitare il codice a mano.
client-need-authorization-meaning = L'accesso all'account del marchio richiede una nuova autorizzazione
client-need-authorization-remedy = Attendere e riprovare più tardi (spesso il giorno dopo); rifare l'accesso nell'app mobile del veicolo.
client-authentication-failed-meaning = Email, password o paese dell'account del marchio errati
client-authentication-failed-remedy = Correggere email, password o paese, poi rifare l'accesso.
client-invalid-grant-meaning = Il token di accesso è scaduto o è stato revocato
client-invalid-grant-remedy = Accedere di nuovo.
client-40400-meaning = Nessuno stato del veicolo trovato
client-40400-remedy = Controllare che il veicolo sia nell'account del cliente; se persiste, rimuovere il veicolo e aggiungerlo di nuovo.
client-50000-meaning = Il modulo di connettività del veicolo è stato sostituito (dopo una riparazione) e il server non lo riconosce più
client-50000-remedy = Rifare l'accesso; se persiste, il concessionario deve registrare il nuovo modulo.
client-50038-meaning = Errore temporaneo lato costruttore
client-50038-remedy = Riprovare più tardi.
client-no-matching-service-key-meaning = Questo comando non fa parte del servizio sottoscritto
client-no-matching-service-key-remedy = Usare ciò che l'abbonamento offre (porte, clacson e luci richiedono un livello di servizio superiore).
client-422-meaning = Comando remoto rifiutato: la modalità privacy del veicolo è attiva
client-422-remedy = Disattivare la modalità privacy nel veicolo, poi riprovare.
client-901-meaning = Comando remoto rifiutato: il veicolo è in stand-by
client-901-remedy = Risvegliare il veicolo e riprovare.

## Limits that bite

limit-sms-activations = Circa 20 attivazioni via SMS bloccano l'account (per un utente già verso 10): dopo due fallimenti spiegare il codice e fermarsi.
limit-otp-codes = Le app non ufficiali (client open source, non il cliente) si limitano a 6 codici OTP ogni 24 h; probabilmente il server impone questo limite.
limit-wake-ups = Queste app si limitano a 6 risvegli ogni 20 minuti.

## Signing in

banner-sign-in-text = il gateway ha rifiutato il token (HTTP 401). Premere i per accedere qui.
banner-sign-in-kept-fixed-text = il gateway ha rifiutato il token conservato da `stepwise login --with-token` (HTTP 401). Chiedi a chi gestisce il gateway il token attuale, conservalo con `stepwise login --with-token` e ricomincia; oppure premi i per accedere qui, se offre l'accesso (i lo dice se no).
banner-sign-in-given-text = il gateway ha rifiutato il token (fonte: { $from }) (HTTP 401). Mettere lì il suo token attuale e ripartire; oppure premere i per accedere qui, se il gateway offre l'accesso (altrimenti i lo dice).
banner-simulated = Cliente simulato
banner-simulated-text = il cliente simulato ha completato { $title }; chiedo la lista al gateway.
banner-simulate-demo-only = s simula il cliente solo sul backend demo
banner-simulate-demo-only-text = qui il cliente agisce sul telefono. Con `stepwise serve` un passo si completa con: curl -X POST { $url }
banner-simulate-demo-only-token-text = qui il cliente agisce sul telefono. Con `stepwise serve`, un passo si completa con: curl -X POST -H "Authorization: Bearer TOKEN" { $url } (TOKEN: il token che questo assistente invia)
banner-simulate-demo-only-fixed-text = qui il cliente agisce sul telefono. Con `stepwise serve`, un passo si completa con: curl -X POST -H "Authorization: Bearer TOKEN" { $url } (TOKEN: il token del gateway che ha conservato con `stepwise login --with-token`)
banner-simulate-demo-only-login-text = qui il cliente agisce sul telefono. Con `stepwise serve`, un passo si completa con: curl -X POST -H "Authorization: Bearer TOKEN" { $url } (TOKEN: uno che il gateway accetta. Quello di questo assistente viene da un accesso e non è mai mostrato: avviare `stepwise serve --auth` anche con `--token T` e inviare T)
banner-sign-in-none-text = il gateway vuole un token, e non ne è stato inviato nessuno (HTTP 401). Premere i per accedere qui, se il gateway offre l'accesso (altrimenti i lo dice).
banner-sign-in-login-unreadable-text = il gateway vuole un token, e non ne è stato inviato nessuno (HTTP 401): gli accessi conservati da `stepwise login` non si sono potuti leggere: { $why }. Uscire, correggere e ripartire, oppure partire con --token-file PERCORSO.
banner-sign-in-again-text = { $why }: l'accesso è terminato. Premere i per accedere di nuovo.
banner-signed-in = Accesso eseguito
banner-signed-in-watch-resumed = Il monitoraggio, che il token rifiutato aveva fermato, riprende.
banner-signed-in-text = per conservare il token si usa { $place }; i passi vengono richiesti di nuovo con esso.
banner-signed-in-given = Questa sessione lo usa; la prossima riprenderà il token fornito tramite { $from }, che prevale sull'accesso conservato: avviarla senza { $from }.
banner-sign-in-failed = Accesso non riuscito
report-sign-in-cancelled = annullato prima che arrivasse l'approvazione (Esc, o l'assistente è terminato): nessun token è stato salvato
banner-sign-in-no-help = Nessun accesso avviato
banner-sign-in-no-help-text = un nuovo accesso con queste impostazioni avrebbe la stessa risposta. { $why }
banner-sign-in-failed-text = { $why }. Premere i per riprovare.
banner-sign-in-failed-fix-text = { $why }. Premere di nuovo i fallisce allo stesso modo finché questo non viene cambiato.
banner-sign-in-settings-text = { $why }. Una procedura guidata in esecuzione legge le impostazioni di accesso all'avvio, e non accetta --client-id né --scope: cambiarle nel file di configurazione (`client_id`, `scopes`), poi uscire (q) e riavviarla.
banner-sign-in-wait-text = il provider di identità non dà un codice per ora ({ $said }) e chiede di attendere { $wait }. Premere i dopo quell'attesa.
banner-sign-in-expired-text = il codice è scaduto prima di essere approvato. Premere i per un nuovo codice, e approvarlo prima.
banner-sign-in-denied-text = l'accesso è stato rifiutato (access_denied) per gli scope { $scopes }. Se è stato rifiutato nel browser, premere i per accedere di nuovo. Altrimenti il provider vuole altri scope: chiedere al suo gestore quali, poi uscire, indicarli come `scopes` nel file di configurazione e ripartire.
banner-sign-in-stopped-text = il provider di identità ha interrotto l'accesso ({ $said }). Premere i per iniziarne uno nuovo.
banner-sign-in-not-offered-text = il gateway { $gateway } non offre l'accesso: accetta un token fisso. Uscire, conservare il token con `stepwise login --with-token` (o indicarlo con --token-file FILE o STEPWISE_TOKEN) e ripartire: una procedura guidata in corso non legge un token conservato nel frattempo.
banner-sign-in-not-needed-text = il gateway { $gateway } non offre l'accesso, e ha risposto senza token: qui non ne serve nessuno, quindi non c'è niente a cui accedere.
banner-sign-in-discovery-refused-text = il gateway { $gateway } ha rifiutato la richiesta dei suoi metadati di accesso (HTTP 403): non ne pubblica per questo client, oppure un firewall davanti a esso blocca quel percorso. Chiedere un token a chi gestisce il gateway; poi uscire, conservarlo con `stepwise login --with-token` (o indicarlo con --token-file FILE o STEPWISE_TOKEN) e ripartire.
banner-sign-in-not-offered-given-text = il gateway su { $gateway } non offre accesso: accetta un token fisso e ha rifiutato quello dato (fonte: { $from }). Uscire, mettere lì il suo token attuale e riavviare (un token conservato con `stepwise login --with-token` non è usato finché { $from } ne fornisce uno).
help-section-sign-in = Accesso
key-short-sign-in = accedi
key-help-sign-in = accedere al gateway (dopo un token rifiutato) senza lasciare questo veicolo
key-help-open-sign-in-page = aprire l'indirizzo di accesso in un browser
key-help-cancel-sign-in = interrompere l'accesso (non viene conservato nulla)
gw-title-sign-in-again = Nuovo accesso necessario
gw-title-client-refused = Client id rifiutato
gw-title-tokens-not-taken = Token non accettati
gw-title-sign-in-failed = Accesso non riuscito
gw-title-renewal-failed = Rinnovo del token non riuscito
auth-denied = l'accesso è stato rifiutato (access_denied) per gli scope { $scopes }. Se nessuno l'ha rifiutato nel browser, il provider vuole altri scope: chiedere quali al suo gestore, impostarli con --scope o `scopes` nel file di configurazione ed eseguire di nuovo `stepwise login`
auth-denied-said = l'accesso è stato rifiutato (access_denied) per gli scope { $scopes }, e il provider di identità dice perché: { $said }. Se questo nomina l'account (un gruppo, un ruolo), chiedere all'amministratore del provider di consentirgli l'accesso a stepwise; se nomina degli scope, impostarli con --scope o `scopes` nel file di configurazione, ed eseguire di nuovo `stepwise login`
auth-expired = il codice è scaduto prima di essere approvato. Eseguire di nuovo `stepwise login` e approvarlo prima
auth-sign-in-again = { $why }. Eseguire `stepwise login` per accedere di nuovo
auth-client-refused-then = { $why }; poi accedere con esso: `stepwise login --client-id ID`
auth-refused-fresh-then = { $why }; poi accedere con essa: `stepwise login --audience URI`
auth-unreachable = impossibile raggiungere il provider di identità { $url }: { $detail }. Controllare la rete, poi riprovare; se persiste, controllare l'indirizzo dell'emittente (--issuer, STEPWISE_ISSUER o `issuer` nel file di configurazione) se ne è indicato uno, altrimenti avvisare chi gestisce il gateway (i suoi metadati di accesso indicano questo provider)
auth-proxy-407 = il proxy { $proxy } (da { $from }) ha risposto lui stesso 407 alla chiamata di accesso a { $url }: il provider di identità non è stato interpellato. Il proxy vuole nome utente e password: inserirli nella variabile del proxy (http://utente:password@proxy:porta), o impostare NO_PROXY={ $host } se il provider è raggiungibile senza il proxy
auth-proxy-407-refused = il proxy { $proxy } (da { $from }) ha rifiutato nome utente e password della sua variabile per la chiamata di accesso a { $url } (407): il provider di identità non è stato interpellato. Controllare nome utente e password nella variabile del proxy, o impostare NO_PROXY={ $host } se il provider è raggiungibile senza il proxy
auth-proxy-401-basic = il proxy { $proxy } (da { $from }) ha risposto da sé alla chiamata di accesso a { $url } con HTTP 401 e un accesso (Basic): il provider di identità non è stato interpellato. Un proxy che chiede così (tinyproxy lo fa) prende nome utente e password dalla variabile del proxy (http://utente:password@proxy:porta); oppure impostare NO_PROXY={ $host } se il provider è raggiungibile senza il proxy
auth-proxy-401-basic-refused = il proxy { $proxy } (da { $from }) ha risposto da sé alla chiamata di accesso a { $url } con HTTP 401 e un accesso (Basic), benché la variabile del proxy porti nome utente e password: li ha rifiutati, e il provider di identità non è stato interpellato. Controllarli nella variabile del proxy (caratteri come @ o : codificati in percentuale), oppure impostare NO_PROXY={ $host } se il provider è raggiungibile senza il proxy
auth-proxy-windows = il proxy { $proxy } (da { $from }) ha risposto lui stesso 407 alla chiamata di accesso a { $url }, chiedendo un accesso Windows (Negotiate o NTLM), che stepwise non può dare: il provider di identità non è stato interpellato, e nessun nome utente e password nella variabile del proxy vi risponde. Chiedere a chi gestisce il proxy di lasciar passare { $host } senza di esso, oppure impostare NO_PROXY={ $host } se il provider è raggiungibile senza il proxy
auth-proxy-answered = la chiamata di accesso a { $url } è passata dal proxy { $proxy } (da { $from }) ed è tornata con HTTP { $status }{ $said } senza risposta del provider di identità: ha risposto il proxy stesso, o qualcosa davanti al provider. Chiedere a chi gestisce il proxy se lascia passare { $host }, o impostare NO_PROXY={ $host } se il provider è raggiungibile senza il proxy (uno su questa macchina lo è sempre)
auth-proxy-429 = la chiamata di accesso a { $url } è passata dal proxy { $proxy } (da { $from }), che ha risposto da sé HTTP 429{ $said }: il proxy limita le richieste. Attendere un minuto, poi riprovare; se continua, chiedere a chi gestisce il proxy, o impostare NO_PROXY={ $host } se il provider è raggiungibile senza il proxy
auth-proxy-429-wait = la chiamata di accesso a { $url } è passata dal proxy { $proxy } (da { $from }), che ha risposto da sé HTTP 429{ $said }: il proxy limita le richieste e chiede di attendere { $secs } s. Riprovare dopo; se continua, chiedere a chi gestisce il proxy, o impostare NO_PROXY={ $host } se il provider è raggiungibile senza il proxy
auth-proxy-5xx = la chiamata di accesso a { $url } è passata dal proxy { $proxy } (da { $from }), che ha risposto esso stesso HTTP { $status }{ $said }: ha lasciato passare la chiamata e non ha avuto risposta da { $host } (fuori servizio, o fuori dalla portata del proxy). Riprovare più tardi; se persiste, chiedere a chi gestisce { $host } o il proxy, o impostare NO_PROXY={ $host } se { $host } è raggiungibile senza il proxy
auth-proxy-5xx-loopback = la chiamata di accesso a { $url } è passata dal proxy { $proxy } (da { $from }), che ha risposto da sé HTTP { $status }{ $said }: il provider di identità { $host } è su questa macchina, che un proxy altrove non raggiunge, quindi riprovare dà lo stesso. Impostare NO_PROXY={ $host } (un provider su questa macchina si raggiunge sempre senza il proxy)
auth-proxy-closed = il proxy { $proxy } (da { $from }) ha chiuso la chiamata di accesso a { $url } senza risposta: non si sa se il provider di identità sia stato interpellato. Riprovare; se persiste, chiedere a chi gestisce il proxy, o impostare NO_PROXY={ $host } se il provider è raggiungibile senza il proxy
auth-proxy-unreachable = impossibile connettersi al proxy { $proxy } (da { $from }) per la chiamata di accesso a { $url }: all'indirizzo del proxy non risponde nulla, quindi non è stato chiesto nulla. Controllare la variabile del proxy (host e porta), o impostare NO_PROXY={ $host } se l'indirizzo è raggiungibile senza il proxy
auth-proxy-silent = nessuna risposta in tempo alla chiamata di accesso a { $url } attraverso il proxy { $proxy } (da { $from }): il proxy, o il provider di identità dietro di esso, tace. Riprovare più tardi; se persiste, chiedere a chi gestisce il proxy, o impostare NO_PROXY={ $host } se il provider è raggiungibile senza il proxy
auth-proxy-garbled = ciò che è tornato attraverso il proxy { $proxy } (da { $from }) per la chiamata di accesso a { $url } non è HTTP valido: il proxy è guasto, o la sua variabile indica qualcosa che non è un proxy HTTP. Controllare la variabile del proxy, chiedere a chi lo gestisce, o impostare NO_PROXY={ $host } se il provider è raggiungibile senza il proxy
auth-proxy-tunnel = il proxy { $proxy } (da { $from }) non ha aperto un tunnel (CONNECT) verso { $host } per la chiamata di accesso a { $url }: lì non è stato chiesto nulla. Chiedere a chi gestisce il proxy se lascia passare { $host }, o impostare NO_PROXY={ $host } se è raggiungibile senza il proxy
auth-fronted = la chiamata di accesso a { $url } è stata rifiutata con HTTP { $status }{ $said } e una pagina, non con la risposta del provider di identità (i suoi errori sono JSON): qualcosa davanti al provider (un firewall, un web application firewall, o un reverse proxy o il suo accesso) l'ha rifiutata. Riprovare o accedere di nuovo dà lo stesso risultato: chiedere a chi gestisce la rete o il provider di identità se lascia passare questa chiamata
auth-no-endpoint = la chiamata di accesso a { $url } ha ricevuto HTTP { $status } senza errore OAuth: nessun endpoint risponde lì (un gateway API davanti al provider di identità risponde così per una rotta che non ha, oppure il provider l'ha spostato). Avvisare chi gestisce il provider di identità o il gateway; riprovare dà lo stesso risultato, e un nuovo accesso aiuta solo se i metadati del provider ora indicano un altro indirizzo
auth-fronted-gone = la chiamata di accesso a { $url } ha ricevuto HTTP { $status }{ $said } e una pagina, non la risposta del provider di identità (i suoi errori sono JSON): nulla serve quell'indirizzo, oppure qualcosa davanti al provider risponde al suo posto. I metadati del provider di identità lo nominano ancora, quindi riprovare o accedere di nuovo dà lo stesso risultato: avvisare chi gestisce il provider di identità o il gateway
auth-fronted-page = la chiamata di accesso a { $url } ha ricevuto HTTP { $status }{ $said } e una pagina web, non il JSON del provider di identità: qualcosa davanti al provider (un portale, un reverse proxy o la sua pagina di accesso) ha risposto al suo posto. Chiedere a chi gestisce la rete o il provider di identità se lascia passare questa chiamata
auth-no-answer = il provider di identità { $url } ha accettato la connessione ma non ha risposto in tempo: è occupato o bloccato. Riprovare più tardi; se persiste, avvisare chi lo gestisce
auth-not-tls = il provider di identità { $url } non parla TLS: controllare la porta nell'indirizzo dell'emittente (--issuer, STEPWISE_ISSUER o `issuer` nel file di configurazione), o usarvi http:// se il provider non ha TLS
auth-tls-unknown-issuer = il provider di identità { $url } ha presentato un certificato di un emittente sconosciuto (un'autorità privata, o un proxy che ispeziona TLS). Fidarsi della sua autorità con --ca-file FILE (il suo certificato, PEM), da chiedere a chi gestisce il provider; se --issuer (o `issuer` nel file di configurazione) è sbagliato, correggerlo
auth-tls-wrong-host = il certificato del provider di identità { $url } non è emesso per il suo host. Verificare --issuer (o `issuer` nel file di configurazione); se è giusto, avvisare chi gestisce il provider
auth-tls-dates = il certificato del provider di identità { $url } è scaduto o non è ancora valido. Verificare data e ora di questa macchina; se sono giuste, avvisare chi gestisce il provider
auth-tls-other = la connessione TLS al provider di identità { $url } è fallita ({ $code }). Verificare --issuer (o `issuer` nel file di configurazione); se è giusto, avvisare chi gestisce il provider
auth-tls-old-version = il provider di identità { $url } ha presentato un certificato X.509 versione 1, che TLS non accetta più. Nessun --issuer o --ca-file può rimediare: chiedere a chi gestisce il provider di riemetterlo in versione 3, con il suo nome host come nome alternativo del soggetto
auth-tls-no-host-names = il certificato del provider di identità { $url } non nomina alcun host (nessun nome alternativo del soggetto; un nome comune da solo non è più letto da TLS). Nessun --issuer o --ca-file può rimediare: chiedere a chi gestisce il provider di riemetterlo con il suo nome host come nome alternativo del soggetto
auth-answered-badly = l'indirizzo del provider di identità { $url } è stato raggiunto, ma { $detail }. Controllare l'indirizzo dell'emittente (--issuer, STEPWISE_ISSUER o `issuer` nel file di configurazione) se ne è indicato uno, altrimenti avvisare chi gestisce il gateway
auth-closed = l'indirizzo del provider di identità { $url } ha accettato la chiamata e chiuso la connessione senza rispondere: il provider potrebbe essere in riavvio o sovraccarico, oppure qualcosa in mezzo l'ha interrotta. Riprovare; se persiste, controllare l'indirizzo dell'emittente (--issuer, STEPWISE_ISSUER o `issuer` nel file di configurazione) se indicato, altrimenti avvisare chi gestisce il gateway
login-title = Accesso a { $gateway }
login-open = Aprire { $address } e inserire questo codice:
login-scan = Oppure scansionare questo codice QR con un telefono:
login-qr-no-room = (Una finestra più grande mostra un codice QR dell'indirizzo.)
login-press-enter = Premere Invio per aprire l'indirizzo nel browser.
login-waiting = In attesa dell'approvazione (il codice scade tra { $left }; Ctrl-C annulla)…
err-login-output-closed = non è stato possibile mostrare il codice di accesso: l'output standard è chiuso o scartato (una pipe che ha smesso di leggere, come `| head -1`, un descrittore chiuso o /dev/null), quindi nessuno può approvarlo. Non è stato conservato nulla; eseguire di nuovo `stepwise login` con l'output su un terminale o in un file
err-login-output-unwritable = non è stato possibile mostrare il codice di accesso: non è stato possibile scrivere sull'output standard ({ $why }), quindi nessuno può approvarlo. Non è stato conservato nulla; eseguire di nuovo `stepwise login` con l'output su un terminale o in un file scrivibile
login-poll-limited = Il provider di identità chiede di attendere (HTTP 429, troppe richieste): l'approvazione sarà verificata di nuovo tra { $secs } s. Il codice resta valido nel frattempo.
login-browser-opened = Indirizzo passato al browser (se nessun browser lo mostra, aprire da sé l'indirizzo qui sopra).
login-browser-failed = Impossibile aprire un browser ({ $why }); aprire l'indirizzo a mano.
login-signed-in = Accesso eseguito a { $gateway }.
login-token-expired-kept = Nota: secondo la scadenza scritta in esso, questo token è scaduto il { $time }; il gateway lo ha accettato ora, ma può rifiutarlo in qualsiasi momento. Chiedere il suo token attuale
login-token-untried-why = Token conservato per { $gateway }, ma non provato: { $why }. Se quell'indirizzo è sbagliato, correggere --api (o `api` nel file di configurazione) e conservare di nuovo il token; altrimenti il gateway dirà se lo accetta alla prossima chiamata (`stepwise steps --car ID`).
login-token-untried-silent = Token conservato per { $gateway }, ma non provato: il gateway ha accettato la connessione e non ha risposto entro { $secs } s (occupato o bloccato). Verificare che sia attivo e risponda; il gateway dirà se accetta il token alla prossima chiamata (`stepwise steps --car ID`).
login-token-untried-proxy = Token conservato per { $gateway }, ma non provato: { $why }. Quando il proxy lascerà passare la richiesta (o NO_PROXY lo eviterà), il gateway dirà alla prossima chiamata se accetta il token (`stepwise steps --car ID`).
login-token-unjudged = Token conservato per { $gateway }, ma la risposta non dice se il gateway lo accetta: { $why }. Il gateway lo dirà alla prossima chiamata (`stepwise steps --car ID`).
err-login-not-a-gateway = Token non conservato: { $why }
err-signin-not-a-gateway = Accesso non eseguito: questo indirizzo non pubblica alcun accesso, e la sua chiamata dei passi mostra perché: { $why }
login-token-taken = Token conservato per { $gateway }: il gateway l'ha accettato.
login-token-not-checked = Token conservato per { $gateway }, ma il gateway ha risposto anche senza token: qui non ne serve nessuno, quindi non si può dire se accetta questo. Viene inviato comunque a ogni chiamata; `stepwise logout` lo dimentica.
login-expires = Il token scade alle { $time }; viene rinnovato prima.
login-kept = Il token è conservato in: { $place }.
login-environment-wins = Nota: STEPWISE_TOKEN è impostato qui, e il suo token prevale su questo accesso in ogni comando. Rimuovere STEPWISE_TOKEN per usare l'accesso.
login-file-notice = Nota: nessun portachiavi ha risposto su questa macchina, quindi il token è conservato in un file leggibile solo dal proprio utente (modo 0600). `stepwise logout` lo rimuove.
login-file-notice-windows = Nota: nessun portachiavi ha risposto su questa macchina, quindi il token è conservato in un file della cartella %LOCALAPPDATA% del proprio utente, che Windows lascia leggere solo a quell'utente (e agli amministratori del PC). `stepwise logout` lo rimuove.
login-file-chosen = Nota: il token è conservato nel file, non in un portachiavi, perché lo chiede STEPWISE_TOKEN_STORE=file. `stepwise logout` lo rimuove.
login-keyring-too-small = Nota: il token è troppo lungo per { $name } (al massimo { $max } byte per voce), quindi è conservato invece in un file leggibile solo dal proprio utente. `stepwise logout` lo rimuove.
login-paste = Incollare il token per { $gateway } e premere Invio (non viene mostrato; Esc o Ctrl-C annulla):
place-keyring = il portachiavi ({ $name })
place-file = il file { $path }
logout-none = Nessun accesso conservato per { $gateway }; niente da rimuovere.
logout-done = Disconnesso da { $gateway }; token rimosso da: { $place }.
logout-still-given = Un token fornito tramite { $from } è ancora presente e ancora usato.
token-from-token-file = --token-file
token-from-environment = STEPWISE_TOKEN
token-from-login = l'accesso conservato
token-from-config = il file di configurazione
status-gateway = Gateway:   { $gateway }
status-login-kept = Accesso:   conservato in: { $place }
status-login-file-private = (leggibile solo dal proprio utente)
status-login-file-open = (leggibile da altri utenti di questa macchina: modo { $mode }; eseguire `chmod 600 { $path }`)
status-login-none = Accesso:   nessuno conservato (`stepwise login` esegue l'accesso dove il gateway lo offre; `stepwise login --with-token` conserva un token fisso)
status-login-kept-unused = Accesso:   conservato in: { $place }, non in uso: il token (fonte: { $from }) ha la precedenza
duration-days = { $n } g
duration-hours = { $n } h
duration-minutes = { $n } min
duration-seconds = { $n } s
status-expires = Scadenza:  { $time } (tra { $left })
status-expires-renewed = Scadenza:  { $time } (tra { $left }; rinnovato proprio ora)
status-expired-refreshable = Scadenza:  scaduto alle { $time }; al prossimo uso viene ottenuto un nuovo token
status-renewal-failed = Rinnovo:   provato ora, ed è fallito: { $why }
status-expired = Scadenza:  scaduto alle { $time }
status-expires-ended = Scadenza:  { $time } (non più utilizzabile: il provider di identità ha chiuso l'accesso)
status-expires-unknown = Scadenza:  sconosciuta (un token fornito a mano)
status-expires-unknown-provider = Scadenza:  sconosciuta (il provider di identità non ha dato una scadenza utilizzabile)
status-refresh-auto = Rinnovo:   automatico, prima della scadenza
status-refresh-ended = Rinnovo:   nessuno: il provider di identità ha appena terminato l'accesso (la riga Rinnovo qui sopra dice come). Eseguire `stepwise login`
status-refresh-failing = Rinnovo:   automatico, ma il rinnovo appena tentato è fallito (la riga Rinnovo qui sopra dice perché); il prossimo uso lo chiede di nuovo
status-refresh-none = Rinnovo:   non possibile; accedere di nuovo quando smette di funzionare
status-refresh-fixed = Rinnovo:   non possibile (un token dato a mano); quando smette di funzionare, conservare il token attuale del gateway con `stepwise login --with-token`
status-in-use-login = In uso:    l'accesso conservato
status-in-use-dropped = In uso:    il token fornito tramite { $from }, ma non ha raggiunto il gateway: { $why }
status-in-use-login-refused = In uso:    l'accesso conservato, ma il gateway ha appena rifiutato il suo token (HTTP 401): la prossima chiamata lo rinnova una volta; se il gateway rifiuta anche quello, accedere di nuovo con `stepwise login`
status-in-use-login-refused-fresh = In uso:    l'accesso conservato, ma il gateway ha appena rifiutato il suo token (HTTP 401), e anche quello rinnovato subito: { $why }
status-in-use-login-refused-fixed = In uso:    l'accesso conservato, ma il gateway ha appena rifiutato il suo token (HTTP 401): accedere con `stepwise login` se il gateway offre l'accesso; altrimenti chiedere il token attuale a chi lo gestisce, e conservarlo con `stepwise login --with-token`
status-in-use-spent = In uso:    niente di utilizzabile: l'accesso conservato è scaduto. Eseguire `stepwise login`
status-in-use-renewing = In uso:    l'accesso conservato, appena il provider di identità ne rinnova il token: il rinnovo per ora non è riuscito (la riga Rinnovo dice perché); un nuovo accesso troverebbe lo stesso provider
status-in-use-spent-fixed = In uso:    niente di utilizzabile: il token conservato a mano (login --with-token) è scaduto. Conservare il token attuale del gateway con `stepwise login --with-token`
status-in-use-ended = In uso:    niente di utilizzabile: il provider di identità ha terminato l'accesso conservato. Eseguire `stepwise login`
status-in-use-client = In uso:    niente di utilizzabile: il provider di identità non accetta l'id client dell'accesso conservato. Accedere con quello che conosce: `stepwise login --client-id ID`
status-in-use-other = In uso:    un token fornito tramite { $from } (prevale su un accesso conservato)
status-in-use-not-tried = non provato: non si è potuto chiedere al gateway se lo accetta: { $why }
status-in-use-other-expired = In uso:    un token da { $from } (prevale su un accesso conservato), ma è scaduto il { $time }, secondo la scadenza scritta in esso: metterne uno attuale lì, o toglierlo per usare un accesso conservato
status-in-use-other-refused = In uso:    un token da { $from } (prevale su un accesso conservato), ma il gateway l'ha appena rifiutato (HTTP { $status }): metterci il token attuale del gateway, o toglierlo per usare un accesso conservato
status-in-use-other-scope = In uso:    un token da { $from } (prevale su un accesso conservato), ma il gateway dice che gli manca lo scope { $scope } (HTTP { $status }): chiedere a chi rilascia i token del gateway uno con quello scope
status-in-use-config = In uso:    un token fornito tramite { $from } (un accesso conservato, con `stepwise login`, prevarrebbe su di esso)
status-in-use-config-refused = In uso:    un token fornito tramite { $from } (un accesso conservato, con `stepwise login`, prevarrebbe su di esso), ma il gateway l'ha appena rifiutato (HTTP { $status }): metterci il token attuale del gateway, o conservarne uno con `stepwise login` (o `stepwise login --with-token`), che prevale su di esso
status-in-use-config-expired = In uso:    un token fornito tramite { $from } (un accesso conservato, con `stepwise login`, prevarrebbe su di esso), ma è scaduto il { $time }, secondo la scadenza scritta in esso: metterne uno attuale lì, o conservarne uno con `stepwise login` (o `stepwise login --with-token`), che prevale su di esso
status-in-use-config-scope = In uso:    un token fornito tramite { $from } (un accesso conservato, con `stepwise login`, prevarrebbe su di esso), ma il gateway dice che gli manca lo scope { $scope } (HTTP { $status }): chiedere a chi rilascia i token del gateway uno con quello scope
signin-asking = Richiesta di un codice di accesso: il gateway nomina il suo provider di identità, che dà il codice…
signin-waiting = In attesa dell'approvazione (il codice scade tra { $left }). Esc annulla; la sessione del veicolo resta.
signin-no-browser = Qui non si può aprire nessun browser (nessuna sessione grafica). Su un telefono o un altro computer, aprire l'indirizzo qui sopra (o scansionarne il codice QR) e inserire il codice.
signin-no-browser-no-qr = Qui non si può aprire nessun browser (nessuna sessione grafica). Su un telefono o un altro computer, aprire l'indirizzo qui sopra e inserire il codice.
signin-no-browser-local = Qui non si può aprire nessun browser (nessuna sessione grafica), e l'indirizzo qui sopra esiste solo su questa macchina (loopback), quindi nemmeno un altro dispositivo può aprirlo. Esc annulla; poi conservare un token con `stepwise login --with-token`, o avviare la procedura sullo schermo di questa macchina.
signin-browser-failed = Il browser non si è aperto ({ $why }). Su un telefono o un altro computer, aprire l'indirizzo qui sopra (o scansionarne il codice QR) e inserire il codice.
signin-browser-failed-no-qr = Il browser non si è aperto ({ $why }). Su un telefono o un altro computer, aprire l'indirizzo qui sopra e inserire il codice.
status-in-use-none = In uso:    nessun token. Eseguire `stepwise login` (`stepwise login --with-token` se il gateway non offre accesso), oppure fornirne uno con --token-file o STEPWISE_TOKEN
status-in-use-none-fixed = In uso:    nessun token, e il gateway ne vuole uno. Non offre l'accesso: il suo token viene da chi lo gestisce. Conservare quel token con `stepwise login --with-token`, o darlo con --token-file o STEPWISE_TOKEN
status-in-use-none-needed = In uso:    nessun token, e non ne serve: il gateway a { $gateway } ha risposto senza. Eseguire `stepwise steps --car ID` così com'è
status-in-use-none-unasked = In uso:    nessun token; non si è potuto chiedere al gateway a { $gateway } se ne vuole uno: { $why }. Appena risponde, `stepwise auth status` dice se ne vuole uno
status-unasked-no-client = la chiamata non si è potuta fare con le impostazioni di rete date (stepwise steps dice quali)
status-login-trouble = Accesso:   { $why }
status-in-use-trouble = In uso:    nessun token: l'accesso conservato non è leggibile (vedere la riga sopra)

## Il pannello: molti veicoli insieme

board-title = { $count ->
    [one] pannello con 1 veicolo
   *[other] pannello con { $count } veicoli
}
board-sorted-by = ordinato per { $key }
board-sort-next = passo successivo
board-sort-progress = avanzamento
board-sort-freshness = ultimo aggiornamento
board-sort-id = ID
board-live-on-short = diretta ON
board-live-polling-short = diretta ON · interrogazione ogni { $secs } s
board-live-off-short = diretta off
board-summary-ready = { $n ->
    [one] { $n } pronto
   *[other] { $n } pronti
}
board-summary-in-progress = { $n } in corso
board-summary-failing = { $n } in errore
board-summary-loading = { $n } in attesa di risposta
limited-wait = HTTP 429: le richieste attendono ancora { $secs } s
board-filter = filtro:
board-fresh-never = non ancora
board-fresh-secs = { $n } s fa
board-fresh-mins = { $n } min fa
board-fresh-hours = { $n } h fa
board-empty = Ancora nessun veicolo nel pannello: premere «a» per aggiungerne uno.
board-none-match = Nessun veicolo corrisponde al filtro. Esc lo cancella.
board-col-car = carAssociationID
board-col-car-short = ID
board-col-progress = avanzamento
board-col-progress-short = avanz.
board-col-next = passo successivo
board-col-fresh = dati
board-col-error = errore
board-rows-window = { $from }–{ $to } di { $total }
board-n-of-m = { $done } di { $total }
board-ready = pronto
board-loading = richiesta…
board-held = trattenuto (HTTP 429)
board-retrying-was = nuovo tentativo (prima: { $was })
board-held-was = trattenuto (prima: { $was })
board-remove-ask = Togliere { $car } dal pannello? Premere «s» per toglierlo, «n» per tenerlo.
board-add-prompt = Aggiungi carAssociationID:
board-add-duplicate = { $car } è già nel pannello.
board-removed = { $car } tolto
board-removed-text = le sue richieste sono state fermate; premere «a» per aggiungerlo di nuovo.
board-shared-steps-id = Uno stesso stepsID ({ $id }) per { $count } veicoli
board-shared-steps-id-text = { $cars } hanno ricevuto elenchi sotto lo stesso stepsID, che appartiene a un solo veicolo: un proxy o una cache tra qui e il gateway (che ignora la query), o il gateway stesso, confonde le risposte, quindi queste righe e i loro aggiornamenti dal vivo possono mostrare l'elenco di un altro veicolo. Non farci affidamento; avvisare il gestore del gateway (e l'amministratore della rete, dove è impostato un proxy).
board-turned-ready = { $count ->
    [one] { $cars } è pronto
   *[other] { $cars } sono pronti
    }
board-turned-ready-text = tutti i passi sono fatti: il cliente può usare il servizio.
board-turned-unready = { $count ->
    [one] { $cars } non è più pronto
   *[other] { $cars } non sono più pronti
    }
board-live-on = { $count ->
    [one] Diretta: 1 veicolo
   *[other] Diretta: { $count } veicoli
}
board-live-off = Diretta off
board-live-off-text = il pannello non si aggiorna più da solo; r aggiorna tutto ora.
board-live-stopped = Diretta fermata per { $car }: { $what }
board-live-stopped-every = Diretta fermata per tutti i veicoli: { $what }
board-live-stopped-text = { $why }. Seguirlo ripeterebbe solo questa risposta; la diretta continua per gli altri veicoli. Risolto il problema, premere w due volte (diretta spenta, poi accesa) per seguirlo di nuovo.
board-live-stopped-unknown-text = { $why }. Seguirlo ripeterebbe solo questa risposta; la diretta continua per gli altri veicoli.
board-row-id-fix = L'id di una riga non si corregge sul posto: nel pannello, d toglie questa riga e a aggiunge l'id giusto (dalla schermata di questo veicolo, Esc riporta prima al pannello).
board-live-stopped-all-text = { $why }. Seguirlo ripeterebbe solo questa risposta, e la diretta ora è ferma per tutti i veicoli della bacheca. Se ogni veicolo ha avuto la stessa risposta, la causa è il gateway o qualcosa davanti a esso, non ogni id. Risolto il problema, premere w per seguirli di nuovo (la diretta è spenta).
board-vehicle-said = { $car }: { $what }
board-all-failed = { $count ->
    [one] Il veicolo non è riuscito
   *[other] Tutti i { $count } veicoli non sono riusciti allo stesso modo
}: { $what }
board-stream-said = Flusso in diretta di { $count } veicoli: { $what }
board-nothing-to-watch-text = tutti i veicoli sono pronti.
help-section-board = Il pannello
help-section-board-filter = Il filtro del pannello
help-section-board-add = Aggiungere un veicolo
help-section-board-remove = Togliere un veicolo
key-short-sort = ordina
key-short-live = diretta
key-short-add = aggiungi
key-short-remove = togli
key-short-keep = tieni
key-help-board-move = scegliere un veicolo
key-help-board-open = aprire i passi del veicolo scelto (Esc torna al pannello)
key-help-board-filter = filtrare le righe per testo (ID, passo successivo, errore)
key-help-board-sort = ordinare per passo successivo, avanzamento, aggiornamento o ID
key-help-board-refresh = aggiornare tutti i veicoli
key-help-board-live = tenere tutti i veicoli in diretta (aggiornati da soli), o fermare
key-help-board-add = aggiungere un veicolo col suo carAssociationID
key-help-board-remove = togliere il veicolo scelto (chiede prima)
key-help-board-clear = cancellare il filtro
key-help-board-sign-in = accedere al gateway (dopo un token rifiutato): ogni veicolo rifiutato per mancanza di token chiede poi di nuovo
key-help-filter-keep = tenere il filtro e tornare alle righe
key-help-filter-clear = cancellare il filtro
key-help-type-filter = digitare il testo da cercare
key-help-add-submit = aggiungere il veicolo e chiederne i passi
key-help-remove-now = toglierlo dal pannello

## Command-line help: what --help says of each command and option

# The words clap itself would say in English.
help-cli-usage = Uso:
help-cli-options = Opzioni
help-cli-arguments = Argomenti
help-cli-commands = Comandi
help-cli-command-value = COMANDO
help-cli-help = Mostrare l'aiuto
help-cli-help-short = Mostrare l'aiuto (più dettagli con '--help')
help-cli-help-long = Mostrare l'aiuto (un riassunto con '-h')
help-cli-version = Mostrare la versione
help-cli-help-command = Mostrare questo messaggio o l'aiuto dei comandi indicati
help-cli-help-command-subcommand = Mostrare l'aiuto di questi comandi
help-cli-default = [predefinito: { $value }]
help-cli-env = [ambiente: { $name }]
help-cli-values = [valori possibili: { $values }]
# stepwise itself and its global options.
help-cli-stepwise = Guida il tecnico attraverso i passi di attivazione dei servizi di un veicolo connesso
help-cli-stepwise-long =
    Guida il tecnico attraverso i passi di attivazione dei servizi di un veicolo connesso.

    Senza un gateway configurato (--api, STEPWISE_API o il file di configurazione), la procedura guidata e i comandi steps/next usano il simulatore integrato.
help-cli-stepwise-after = Codici di uscita di steps/next: 0 nessun passo restituito è da fare (todo), 3 un passo restituito è da fare, 1 errore, 2 uso errato. Un comando rifiuta un'opzione globale che non usa.
help-cli-stepwise-api = URL di base del gateway dei passi, ad es. http://127.0.0.1:8080 (senza nome utente né password)
help-cli-stepwise-car = carAssociationID da aprire (lettere a–z, A–Z, cifre, - e _); ripeterlo per un pannello di più veicoli (doctor ne prende uno)
help-cli-stepwise-cars = File di carAssociationID: uno per riga (# inizia un commento), oppure un CSV con l'id nella prima colonna
help-cli-stepwise-concurrency = Richieste contemporanee al gateway, per tutto il pannello o tutto --cars
help-cli-stepwise-token-file = File con il token (bearer) del gateway, da solo su una riga
help-cli-stepwise-report = Scrivere qui il rapporto di sessione all'uscita (.json dà JSON, altrimenti Markdown)
help-cli-stepwise-lang = Lingua delle schermate, della guida, dell'output testuale e di questi messaggi: en, fr, de, it, es, nl, pt-BR o pt-PT (pt: pt-BR; altrimenti STEPWISE_LANG, lang del file di configurazione, la lingua del sistema, l'inglese)
help-cli-stepwise-ca-file = Fidarsi anche delle autorità di questo file PEM (altrimenti STEPWISE_CA_FILE, `ca_file` nel file di configurazione, SSL_CERT_FILE)
help-cli-stepwise-client-cert = Presentare questo certificato client (PEM; può contenere anche la chiave)
help-cli-stepwise-client-key = La chiave privata del certificato client (PEM)
# The commands and their options.
help-cli-demo = La procedura guidata sul simulatore integrato
help-cli-demo-autoplay = Il cliente simulato fa il prossimo passo ogni pochi secondi
help-cli-demo-fresh = Ricominciare da capo il backend demo: dimenticare stepsID, cache e stati
help-cli-demo-board = Aprire il pannello con i veicoli del backend demo (o quelli di --car/--cars)
help-cli-fleet = Il pannello: molti veicoli insieme, una riga ciascuno (indicarli con --car, ripetuto, o --cars FILE)
help-cli-serve = Avviare il simulatore del gateway dei passi
help-cli-serve-addr = Indirizzo di ascolto, HOST:PORTA (un nome host viene risolto)
help-cli-serve-scenario = File di scenario (JSON); altrimenti lo scenario integrato
help-cli-serve-token = Richiedere questo token (bearer) a ogni richiesta. Ogni utente di questa macchina può leggerlo con `ps`: meglio --token-file o STEPWISE_SERVE_TOKEN
help-cli-serve-fleet = Aggiungere N veicoli generati, F0001..., in stati diversi
help-cli-serve-churn = Ogni SECONDS secondi viene fatto il prossimo passo di un veicolo generato a caso (F0001…); quelli integrati restano da giocare a mano
help-cli-serve-stream-events = Chiudere ogni flusso di eventi dopo i suoi primi N eventi (per gli strumenti che hanno bisogno di una risposta che finisce)
help-cli-serve-log = Scrivere una riga per richiesta sull'output standard: ora, metodo, percorso, stato, durata
help-cli-serve-tls = Servire HTTPS con un certificato generato all'avvio (per localhost e 127.0.0.1)
help-cli-serve-tls-dir = Scrivere lì l'autorità (ca.pem), il certificato e la chiave (altrimenti sim-tls nella cartella dei dati)
help-cli-serve-client-ca = Esigere certificati client firmati da questa autorità (PEM)
help-cli-serve-auth = Essere anche il provider di identità (`stepwise login`): client registrati, scope, accesso con dispositivo e con codice di autorizzazione (PKCE), token di rinnovo a rotazione, revoca; POST /sim/device/CODE/approve o /deny
help-cli-serve-token-ttl = Durata dei token emessi, in secondi
help-cli-login = Accedere al gateway (--api) con un codice approvato in un browser
help-cli-login-with-token = Leggere invece un token dallo standard input: da una pipe, o incollato a un prompt che non lo mostra (mai da un argomento)
help-cli-logout = Revocare l'accesso presso il provider di identità dove offre la revoca, e dimenticare il token conservato per il gateway (--api)
help-cli-logout-forget = Dimenticare l'accesso qui anche quando il provider di identità non è raggiungibile per revocarlo
help-cli-auth = L'accesso: chi, dove è conservato il token, quando scade
help-cli-auth-status = Indica il gateway, dove è conservato il token e quando scade (mai il token); uscita 0 con un token valido o quando il gateway risponde senza, 1 altrimenti
help-cli-auth-status-json = Stampare JSON
help-cli-steps = Stampare i passi come lista di controllo (o JSON); uscita 3 finché un passo restituito è da fare
help-cli-steps-after =
    Con --status todo o alreadyDone vengono restituiti solo quei passi: l'output dice allora che è filtrato e non dichiara mai il servizio pronto, e l'uscita 0 significa solo che nessun passo restituito è da fare.

    Con più veicoli (--car ripetuto, o --cars FILE) ognuno ha il suo blocco, o con --json un oggetto JSON per riga (JSON Lines); uscita 1 se un veicolo è fallito (stderr li nomina), altrimenti 3 se uno ha un passo da fare, altrimenti 0.
help-cli-steps-steps-id = Aggiornare per stepsID invece che per --car
help-cli-steps-status = Solo i passi con questo stato
help-cli-steps-reset = Azzerare prima la cache dei passi (rimedio agli errori 2312/2317 dell'app)
help-cli-steps-json = Stampare JSON invece della lista di controllo
help-cli-steps-deadline = Smettere di attendere dopo questi secondi in tutto (con più veicoli, indicare quelli che non hanno risposto)
help-cli-doctor = Verificare tutto tra questa macchina e una procedura guidata funzionante; uscita 1 se un controllo fallisce
help-cli-doctor-json = Stampare JSON
help-cli-completions = Stampare i completamenti della shell (bash, zsh, fish, powershell, elvish)
help-cli-completions-shell = La shell per cui scrivere i completamenti
help-cli-man = Stampare la pagina di manuale (roff), ad es. `stepwise man > stepwise.1`
help-cli-next = Stampare il prossimo passo da fare; uscita 3 finché ne resta uno
help-cli-next-after = `order` è la risposta del gateway sul prossimo passo, così come inviata: quella risposta numera a modo suo il passo che restituisce (quella dell'SDK dà 1), quindi può differire dall'ordine dello stesso passo in `stepwise steps`.
help-cli-next-steps-id = Lo stepsID di cui chiedere il prossimo passo (`stepwise steps` lo mostra)
help-cli-next-json = Stampare JSON
# Wrong arguments, said before anything runs.
cli-arg-error = stepwise: errore: { $message }
cli-arg-login-trouble = stepwise: avviso: non viene inviato alcun token: { $why }
cli-arg-warning = stepwise: avviso: { $what }
device-unkept = l'id del dispositivo non può essere conservato in { $path } ({ $why }): ogni esecuzione è un nuovo dispositivo per il gateway, che rifiuta gli stepsID delle esecuzioni precedenti come di un altro dispositivo. Correggere: spostare ciò che intralcia, o lasciare che questo utente vi scriva
cli-waiting-limited = stepwise: il gateway limita le richieste (HTTP 429): attesa di { $secs } s come richiesto, poi un nuovo tentativo (Ctrl-C interrompe)
cli-waiting-limited-past-deadline = stepwise: il gateway limita le richieste (HTTP 429) e chiede di attendere { $secs } s, più dei { $left } s che restano della scadenza (--deadline): il comando si ferma alla scadenza. Indicare un --deadline più lungo per attendere, o riprovare più tardi
cli-arg-not-used = { $command } non usa { $option }: { $why }
cli-arg-why-demo-api = funziona sempre sul simulatore integrato. Per un gateway eseguire `stepwise --api URL`
cli-arg-why-demo-token-file = il simulatore integrato non richiede token. Per un gateway eseguire `stepwise --api URL --token-file PATH`
cli-arg-why-login-token-file = login conserva un token letto dallo standard input, mai da un file indicato con esso: `stepwise login --with-token < PATH`
cli-arg-why-logout-token-file = logout dimentica l'accesso conservato per il gateway, e non gli invia alcun token. Togliere l'opzione
cli-arg-why-serve-api = è lui il gateway. Indirizzare invece i client al suo --addr
cli-arg-why-concurrency = è il gateway e non interroga da sé alcun gateway; --concurrency serve ai client che lo interrogano. Togliere l'opzione
cli-arg-why-concurrency-next = chiede il passo successivo di un veicolo, con una sola richiesta: niente viene eseguito in contemporanea. Togliere l'opzione
cli-arg-why-serve-car = il simulatore risponde per ogni veicolo del suo scenario (sceglierne uno con --scenario)
cli-arg-why-session-report = i rapporti di sessione vengono dalla procedura guidata. Togliere l'opzione
cli-arg-why-serve-client-cert = sono ciò che presenta un client. Per esigere certificati client usare serve --tls --client-ca FILE
cli-arg-why-doctor-report = stampa invece il suo rapporto. Usare --json e reindirizzarlo per conservarlo
cli-arg-doctor-one-car = doctor verifica un solo veicolo: indicare un solo --car (niente --cars); i veicoli di un pannello si verificano con `stepwise steps --cars FILE`
cli-arg-why-print-report = stampa invece il suo risultato. Reindirizzarlo per conservarlo, ad es. `--json > steps.json`
cli-arg-why-sign-in-car = l'accesso vale per gateway, non per veicolo. Togliere l'opzione
cli-arg-why-next-car = chiede solo per --steps-id. Ottenere uno stepsID con `stepwise steps --car ID`
cli-arg-why-steps-cars = --steps-id chiede una sola lista. Togliere uno dei due
cli-arg-serve-token-twice = serve prende il token da richiedere da --token o da --token-file, non da entrambi
cli-arg-serve-token-empty = serve --token è vuoto, quindi non richiederebbe alcun token. Indicare il token, o togliere --token per un simulatore aperto a tutti
cli-arg-serve-churn = serve --churn richiede --fleet N: fa i passi dei veicoli generati. Aggiungere ad es. --fleet 200
cli-arg-seconds = indicare un numero di secondi da 0.1 a 86400, ad es. 2
cli-arg-empty = è vuoto: indicare un valore, o omettere l'opzione per il suo valore predefinito
cli-arg-id = un id è fatto di 1 a { $max } lettere a–z, A–Z, cifre, '-' o '_'
cli-arg-addr-no-port = manca la porta; indicare HOST:PORTA, ad es. 127.0.0.1:8080, localhost:8080 o [::1]:8080
cli-arg-addr-no-host = a { $port } manca l'host; indicare HOST:PORTA, ad es. 127.0.0.1:{ $port } (o 0.0.0.0:{ $port } per la rete dell'officina)
cli-arg-addr-port = la porta non è un numero da 0 a 65535; indicare HOST:PORTA, ad es. 127.0.0.1:8080, localhost:8080 o [::1]:8080
cli-arg-addr-host = l'host non è né un indirizzo né un nome host; indicare HOST:PORTA, ad es. 127.0.0.1:8080, localhost:8080 o [::1]:8080
cli-arg-addr-scheme = inizia con uno schema (http:// o https://), che --addr non accetta; indicare solo HOST:PORTA, ad es. { $given }
cli-arg-addr-ip = l'indirizzo IP { $host } non è valido: ciascuna delle sue quattro parti è un numero da 0 a 255; indicare HOST:PORTA, ad es. 127.0.0.1:8080 o 192.168.1.20:8080
cli-arg-report-folder = --report { $path } è una cartella. Indicare un nome di file al suo interno, ad es. { $example }
cli-arg-report-slash = --report { $path } finisce con una barra, come il percorso di una cartella, e tale cartella non esiste. Indicare un nome di file, ad es. session.md
cli-arg-report-not-a-file = --report { $path } non è un file normale (un dispositivo, una pipe o un collegamento), e il rapporto lo sostituirebbe. Indicare il percorso di un file nuovo o normale, ad es. sessione.md
cli-arg-report-is-cars = --report { $path } è il file degli id indicato con --cars: il rapporto sovrascriverebbe l'elenco dei veicoli. Dare al rapporto un altro nome, ad es. sessione.md
cli-arg-report-is-token-file = --report { $path } è il file del token dato con --token-file: il rapporto sovrascriverebbe il token. Dare al rapporto un altro nome, ad esempio session.md
cli-arg-report-is-config = --report { $path } è il file di configurazione che questa esecuzione legge: il rapporto ne sovrascriverebbe le impostazioni. Dare al rapporto un altro nome, ad esempio session.md
cli-arg-report-not-report = --report { $path } è già un file che non è un rapporto di stepwise: il rapporto lo sostituirebbe. Dare al rapporto un altro nome, ad es. sessione.md, oppure spostare prima quel file altrove
cli-arg-report-in-data = --report { $path } è nella cartella dei dati di stepwise ({ $dir }), dove conserva i suoi accessi e il suo id dispositivo: il rapporto potrebbe sovrascriverli. Dare al rapporto un percorso fuori da essa, ad esempio session.md
cli-arg-report-parent-file = --report { $path }: { $parent } non è una cartella. Scegliere un altro percorso
cli-arg-report-no-folder = --report { $path }: la cartella { $parent } non esiste. Crearla o scegliere un altro percorso
cli-arg-report-unwritable = --report { $path } non si può scrivere ({ $why }). Scegliere un percorso scrivibile
cli-arg-report-unwritable-kept = --report { $path } non può essere scritto ({ $why }). Il rapporto della sessione, note comprese, è stato scritto invece in { $kept }; controllare cosa è cambiato in quel percorso dall'avvio della procedura guidata
cli-arg-unknown-lang = lingua sconosciuta { $given } in { $place }; stepwise parla { $codes }
cli-arg-unknown-lang-config = lingua sconosciuta { $given } in lang del file di configurazione; stepwise parla { $codes }
cli-arg-man-failed = impossibile creare la pagina di manuale: { $error }
cli-arg-cars-unreadable = impossibile leggere --cars { $path }: { $error }. Controllare il percorso (un id per riga, o un CSV)
cli-arg-cars-workbook = --cars { $path } è una cartella di lavoro Excel, non testo: in Excel salvarla con Salva con nome, "CSV UTF-8", e indicare quel file
cli-arg-cars-not-text = --cars { $path } non è un file di testo (contiene caratteri di controllo): dare un file di testo con un carAssociationID per riga, o un CSV
cli-arg-cars-bad = --cars { $path }: { $error }
cars-bad-line = riga { $line } "{ $id }"
cars-bad-more = e altre { $n }
cars-bad = { $lines }: non è un carAssociationID (da 1 a { $max } lettere a–z, A–Z, cifre, '-' o '_'). Correggere o eliminare { $count ->
    [one] quella riga
   *[other] quelle righe
}
cars-excel-number = Una riga contiene un numero lungo come lo scrive Excel (ad esempio 9,87654E+11): in Excel formattare la colonna come Testo, riscrivere gli ID e salvare di nuovo.
cars-heading-no-ids = la prima riga "{ $heading }" non indica nessuna colonna come carAssociationID, e nessuna colonna sotto contiene solo ID (un VIN o una targa non è un carAssociationID). Intitolare la colonna degli ID carAssociationID (o ID veicolo), oppure indicare un ID per riga
cars-heading-ambiguous = la prima riga "{ $heading }" non dice quale colonna contiene il carAssociationID, e { $count } colonne sotto potrebbero contenerlo. Intitolare la colonna degli ID carAssociationID (o ID veicolo), oppure indicare un ID per riga
cli-arg-cars-empty = --cars { $path } non contiene alcun carAssociationID. Mettere un id per riga
cli-arg-fleet-needs-cars = fleet ha bisogno di veicoli: indicare --car ID (ripetuto) o --cars FILE, ad es. `stepwise fleet --cars ids.txt`
cli-arg-steps-needs-car = steps ha bisogno di --car ID, di --cars FILE o di --steps-id ID
steps-reset-asked = La cache dei passi è stata azzerata (resetSteps=true): la lista qui sotto è la risposta del gateway dopo l'azzeramento.
cli-wrong-device-hint = Questo dispositivo ottiene il proprio stepsID con `stepwise steps --car ID`; dare quello a --steps-id.
cli-wrong-device-reset = La cache dei passaggi non è stata azzerata: azzerarla invece tramite il carAssociationID, con `stepwise steps --car ID --reset`.
cli-wrong-device-unkept = Questa esecuzione non ha potuto conservare il suo id di dispositivo (vedere l'avviso sopra): ogni esecuzione è quindi un nuovo dispositivo, e uno stepsID vale solo nell'esecuzione che l'ha ottenuto. Sistemare prima la cartella dei dati.
cli-arg-output-failed = impossibile scrivere l'output: { $error }. Controllare dove va lo standard output (disco pieno?)
cli-arg-runtime = impossibile avviare il runtime asincrono: { $error }
cli-arg-dumb-terminal = la procedura guidata non può disegnare su un terminale elementare (TERM=dumb). Per gli script usare `stepwise steps --car ID [--json]`, o impostare TERM, ad es. TERM=xterm-256color
cli-arg-demo-scripts = Per i veicoli della demo, `stepwise steps --car 987654` (o 111111, 222222, 333333, 444444) risponde dallo stesso simulatore integrato solo dove non è configurato alcun gateway (né --api, né STEPWISE_API, né `api` nel file di configurazione); gli F0001… della demo del tabellone esistono solo al suo interno
cli-arg-no-terminal = la procedura guidata richiede un terminale interattivo. Per gli script usare `stepwise steps --car ID [--json]`
cli-arg-report-written = Rapporto di sessione scritto in { $path }
cli-arg-report-empty = Niente da riportare: in questa sessione non è stato aperto alcun veicolo né scritta alcuna nota ({ $path } lo riporta).
cli-arg-report-notes-kept = Le note sono state conservate: non era dato --report, e la sessione è finita senza un secondo q, quindi il rapporto della sessione è stato scritto in { $path }
cli-arg-report-notes-unkept = Le note non sono state scritte in nessun rapporto (neanche i rapporti della cartella dei dati sono scrivibili); eccole, da copiare:
cli-arg-report-earlier-kept = Il rapporto precedente a quel percorso è conservato come { $path }
cli-arg-internal-error = stepwise si è fermato dopo un errore interno (il messaggio è qui sopra); il file di log contiene i dettagli per l'assistenza.
cli-arg-scenario-bad = { $error }. Correggere il file o togliere --scenario
scenario-unreadable = impossibile leggere lo scenario { $path }: { $error }
scenario-not-json = lo scenario { $path } non è il JSON di uno scenario ({ $detail })
scenario-unknown-member = contiene un membro { $member }, che uno scenario non ha, alla riga { $line }, colonna { $column }
scenario-missing-member-at = manca il membro { $member } nell'oggetto che termina alla riga { $line }, colonna { $column }
scenario-shape-at = la sua forma differisce da quella di uno scenario alla riga { $line }, colonna { $column }
scenario-cut = lo scenario { $path } si ferma prima della fine del suo JSON (riga { $line }, colonna { $column }): il file è troncato
scenario-syntax = lo scenario { $path } non è JSON valido alla riga { $line }, colonna { $column } (manca una virgoletta, una virgola o una parentesi, o non è affatto un file JSON): correggerlo lì
scenario-bad-id = lo scenario { $path }: il carAssociationID { $id } non è fatto di lettere a–z, A–Z, cifre, - o _
scenario-id-twice = lo scenario { $path }: il carAssociationID { $id } compare due volte
scenario-step-names = lo scenario { $path }: ogni passo di { $id } deve avere un nome, ciascun nome una sola volta
cli-arg-addr-unresolved = impossibile risolvere --addr { $addr }: { $error }. Indicare un indirizzo IP o un nome host noto a questa macchina, ad es. 127.0.0.1:8080
cli-arg-addr-nothing = --addr { $addr } non corrisponde ad alcun indirizzo. Indicare un indirizzo IP, ad es. 127.0.0.1:8080
cli-arg-listen-failed = impossibile mettersi in ascolto su { $addr }: { $error }. Scegliere un altro --addr
cli-arg-bound-unknown = impossibile sapere l'indirizzo associato per { $addr }. Scegliere un altro --addr
cli-arg-sim-stopped = il simulatore si è fermato: { $error }
cli-arg-tls-no-dir = nessuna cartella dei dati in cui scrivere i certificati. Indicare --tls-dir CARTELLA
cli-arg-tls-dir-failed = impossibile creare { $path }: { $error }. Indicare un altro --tls-dir
cli-arg-tls-write-failed = { $error }. Indicare un altro --tls-dir
cli-arg-client-ca-unreadable = impossibile leggere il file --client-ca { $path }: { $error }. Controllare il percorso
cli-arg-client-ca-bad = { $error }. Controllare il file --client-ca
cli-arg-tls-authority-written = Autorità scritta in { $path }: i client se ne fidano con --ca-file { $path }
cli-arg-tls-client-cert = Un certificato client di questa autorità, per provare un gateway che ne esige uno (serve --client-ca { $ca }): --client-cert { $path }
cli-arg-tls-authority-kept = Autorità di un'esecuzione precedente mantenuta in { $path } (eliminare lì ca.pem, cert.pem e key.pem per averne di nuovi): i client le danno fiducia con --ca-file { $path }
cli-arg-tls-kept-uncovered = Attenzione: il certificato conservato in { $path } è emesso per { $names }, non per { $missing }: i client che usano { $missing } in --api avranno un errore di certificato. Eliminare ca.pem, cert.pem e key.pem in { $dir } per farne creare di nuovi (i client si fidano poi del nuovo ca.pem)
cli-arg-tls-kept-bad = i file TLS già presenti in { $dir } non sono utilizzabili ({ $error }). Restano come sono: eliminare lì ca.pem, cert.pem e key.pem per farne creare di nuovi, o indicare un altro --tls-dir
sim-tls-library = la libreria TLS ha rifiutato la configurazione: { $error }
sim-tls-write = { $path } non si può scrivere: { $error }
sim-tls-cert-none = cert.pem non contiene alcun certificato PEM (nessun blocco BEGIN CERTIFICATE)
sim-tls-cert-not-pem = cert.pem non è PEM valido (un blocco è rovinato)
sim-tls-key-none = key.pem non contiene alcuna chiave privata PEM
sim-tls-key-mismatch = cert.pem e key.pem non vanno insieme (la chiave non è quella del certificato)
sim-tls-client-ca-none = il file --client-ca { $path } non contiene alcun certificato PEM (nessun blocco BEGIN CERTIFICATE): indicare il file PEM dell'autorità che emette i certificati client
sim-tls-client-ca-not-pem = il file --client-ca { $path } non è PEM valido (un blocco è rovinato)
sim-tls-client-ca-not-authority = il file --client-ca { $path } contiene un certificato che non può fare da autorità ({ $detail })
cli-arg-tls-partial = { $dir } contiene { $present } ma non tutti i file ca.pem, cert.pem e key.pem: nulla viene sovrascritto (dei client possono fidarsi di quell'autorità). Aggiungere i file mancanti, cancellare questi, o indicare un altro --tls-dir
cli-arg-tls-client-ca-required = Sono richiesti certificati client firmati da { $path }
cli-arg-sim-listening = simulatore stepwise in ascolto su { $url } ({ $count ->
        [one] 1 associazione
       *[other] { $count } associazioni
    }; { $required }; Ctrl-C lo ferma)
cli-arg-sim-token-either = richiesto il token (bearer) o un token di accesso
cli-arg-sim-token-bearer = richiesto un token (bearer)
cli-arg-sim-token-signed-in = richiesto un token di accesso
cli-arg-sim-token-none = nessun token richiesto
cli-arg-sim-open-network = Attenzione: { $url } è raggiungibile da altre macchine e non chiede alcun token: chiunque su quella rete può usare le chiamate di controllo (/sim/…: completare o revocare passi, approvare accessi). Richiedere un token con --token-file PERCORSO, oppure ascoltare solo su 127.0.0.1.
cli-arg-sim-reach = Altre macchine e i telefoni lo raggiungono a { $url }: indicare questo indirizzo a --api su di esse (anche il QR della guida al cliente punterà lì)
cli-arg-sim-device-sign-in = accesso tramite dispositivo attivo: i token durano { $seconds } s; approvare un codice con POST /sim/device/CODE/approve (o /deny), o aprire { $url }/device

## Command-line errors: configuration, networks, sign-in storage
# Il file di configurazione; { $file } è il suo percorso, o il percorso e la variabile che lo indica
err-config-named-by = { $path } (indicato da STEPWISE_CONFIG)
err-config-not-utf8 = il file di configurazione { $file } non è testo UTF-8. Salvarlo come TOML UTF-8
err-config-missing = il file di configurazione { $file } non esiste. Crearlo, oppure correggere o rimuovere STEPWISE_CONFIG
err-config-folder-named = il file di configurazione { $file } è una cartella, non un file. Correggere STEPWISE_CONFIG o rimuoverla
err-config-folder = il file di configurazione { $file } è una cartella, non un file. Rimuoverla o mettervi un file di configurazione
err-config-unreadable = impossibile leggere il file di configurazione { $file }: { $kind }. Renderlo leggibile per il proprio utente
err-config-unreadable-other = impossibile leggere il file di configurazione { $file }: { $kind }. Correggere il problema lì, oppure far puntare STEPWISE_CONFIG a un altro file di configurazione
err-config-invalid-at = il file di configurazione { $file } non è valido alla riga { $line }, colonna { $column }: { $why }. Chiavi note: api, token, token_file, docs_base_url, ca_file, client_cert, client_key, lang, issuer, client_id, scopes, audience
err-config-backslash = il file di configurazione { $file }, riga { $line }: una barra rovesciata in un testo tra "…" inizia un escape (\t è una tabulazione, \n un a capo), quindi un percorso Windows si rompe lì. Scrivere il percorso tra apici singoli ('C:\Users\io\tok'), o con / o \\ al posto di ogni \
err-config-empty-path = il file di configurazione { $file }, riga { $line }: { $key } è vuoto, quindi non nomina alcun file. Indicare il percorso del file, o togliere la riga
err-config-invalid = il file di configurazione { $file } non è valido: { $why }. Chiavi note: api, token, token_file, docs_base_url, ca_file, client_cert, client_key, lang, issuer, client_id, scopes, audience
err-config-syntax-at = il file di configurazione { $file } non è valido alla riga { $line }, colonna { $column }: { $why }
err-config-syntax = il file di configurazione { $file } non è valido: { $why }
config-unknown-key = { $key } non è una chiave che stepwise conosce
config-wants-text = questo valore deve essere testo tra virgolette (chiave = "valore")
config-quote = un valore di testo va tra virgolette (chiave = "valore")
config-unclosed = un testo tra virgolette non è chiuso. Terminalo con la virgoletta con cui inizia (" o ')
config-no-equals = una chiave e il suo valore sono uniti da = (chiave = "valore"), non dai due punti o da uno spazio
config-extra-equals = tra una chiave e il suo valore va un solo = (chiave = "valore")
config-duplicate = questa chiave è data una seconda volta. Tienine una sola
config-one-per-line = una sola chiave = "valore" per riga, dopo il valore solo un commento #
config-table = questo file non prevede intestazioni [sezione]: ogni impostazione è una riga a sé, chiave = "valore"
config-no-key = manca la chiave prima dell'=: ogni impostazione è una riga chiave = "valore", ad es. api = "https://gateway.example"
# File del token e token dato come testo; { $from } dice dove è stato indicato
err-from-config-token = il file di configurazione
err-from-stdin = l'input standard
err-from-config-token-file = token_file nel file di configurazione
err-from-config-ca-file = ca_file nel file di configurazione
err-token-file-missing = il file del token { $path } (da { $from }) non esiste. Controllare il percorso, o salvarvi il token
err-token-file-unexpanded = il file del token { $path } (da { $from }) non esiste: in un percorso si espandono solo ~/ o $HOME/ iniziali, ogni altra variabile resta così com'è. Indicare il percorso completo
err-token-file-folder = il file del token { $path } (da { $from }) è una cartella. Indicare il file che contiene il token, non la sua cartella
err-token-file-denied = il file del token { $path } (da { $from }) non si può leggere: permesso negato. Renderlo leggibile per il proprio utente (es. chmod 600)
err-token-file-unreadable = il file del token { $path } (da { $from }) non si può leggere ({ $kind }). Controllare il percorso e il file
err-token-file-not-utf8 = il file del token { $path } (da { $from }) non è testo UTF-8. Mettervi il token del gateway come testo semplice
err-token-file-empty = il file del token { $path } (da { $from }) è vuoto. Mettervi il token del gateway, da solo su una riga
err-token-file-characters = il file del token { $path } (da { $from }) contiene spazi o caratteri che un token non può avere. Mettere il token da solo su una riga, esattamente come l'ha dato il gateway
err-token-file-bearer = il file del token { $path } (da { $from }) contiene la parola Bearer prima del token: togliere la parola Bearer e lasciare il token da solo sulla riga; stepwise aggiunge Bearer da sé
err-token-file-wrapped = il file del token { $path } (da { $from }) contiene il token { $shape }: tenere solo il token stesso, da solo sulla sua riga, esattamente come il gateway l'ha emesso
err-serve-token-file-characters = il file del token { $path } (da serve --token-file) contiene spazi, virgolette o caratteri che un token non può avere. Il token del simulatore lo sceglie lei: scriverne uno di sole lettere, cifre e - . _ ~ + /, da solo sulla sua riga
err-token-file-lines = il file del token { $path } (da { $from }) ha { $n ->
    [one] { $n } riga
   *[other] { $n } righe
}. Un file del token contiene solo il token, su una riga
err-token-text = il token in { $from } contiene spazi, a capo o caratteri che un token non può avere. Indicare il token esattamente come l'ha emesso il gateway
err-token-text-bearer = il token in { $from } comincia con la parola Bearer: togliere la parola Bearer e indicare solo il token; stepwise aggiunge Bearer da sé
err-token-text-wrapped = il token in { $from } è dato { $shape }: indicare il token stesso, esattamente come il gateway l'ha emesso
err-serve-token-text = il token del simulatore (serve --token o STEPWISE_SERVE_TOKEN) contiene spazi, virgolette o caratteri che un token non può avere. Lo sceglie lei: usare solo lettere, cifre e - . _ ~ + /
token-shape-quoted = tra virgolette
token-shape-assignment = come nome=valore (una riga di uno script o di un file .env)
token-shape-json = dentro un JSON (come la risposta di un provider di identità: il valore del suo access_token è il token)
token-shape-punctuated = seguito da un ';' o ',' (copiato da una riga di comando o da un elenco)
token-shape-header = come un'intera riga di intestazione (`Authorization: Bearer …`; stepwise aggiunge da sé l'intestazione e la parola Bearer)
err-token-text-empty = il token in { $from } è vuoto. Indicare il token esattamente come l'ha emesso il gateway, oppure togliere l'impostazione
err-config-token-not-text = il file di configurazione { $file } indica un token che non è testo tra virgolette (il valore non viene mostrato). Scriverlo come token = "…", esattamente come l'ha emesso il gateway
err-file-too-large = più di { $limit } KiB, molto più di quanto un file del genere contenga mai
err-io-not-found = file inesistente
err-io-denied = permesso negato (questo utente non può leggerlo)
err-io-folder = è una cartella, non un file
err-io-not-text = non è testo UTF-8
# URL
err-user-info-gateway = l'URL del gateway contiene nome utente o password (user:password@host), che stepwise non mostra né invia. Toglierli da --api, STEPWISE_API o api nel file di configurazione; il token del gateway va in --token-file, STEPWISE_TOKEN o nel file di configurazione
err-user-info-docs = l'URL di base della documentazione contiene nome utente o password (user:password@host), che stepwise non mostra né invia. Toglierli da { $place }; il token del gateway va in --token-file, STEPWISE_TOKEN o nel file di configurazione
err-docs-url = l'URL di base della documentazione { $url } non è un URL http(s). Correggere { $place }, es. https://help.dealer.example
err-docs-url-why = l'URL di base della documentazione { $url } non è utilizzabile: { $why }. Correggere { $place }, ad es. https://help.dealer.example
docs-place-config = docs_base_url nel file di configurazione
err-api-scheme = l'URL del gateway { $url } non dice http:// né https://: aggiungere http:// o https:// davanti, ad es. http://{ $url }
err-api-scheme-typo = l'URL del gateway { $url } ha lo schema scritto male (serve ://): scrivere { $fixed }
err-api-empty = --api (o STEPWISE_API) è dato ma vuoto: indicare l'URL del gateway, es. --api http://127.0.0.1:8080, o ometterlo per usare il simulatore integrato
err-api-empty-in-file = `api` nel file di configurazione ({ $path }) è vuoto: indicare lì l'URL del gateway, ad es. api = "http://127.0.0.1:8080", o togliere la riga per usare il simulatore integrato
# Certificati, chiavi e proxy; { $why } chiude la frase che nomina il file
err-ca-file = il file CA { $path } { $why }. Indicare un file PEM dell'autorità con --ca-file
err-ca-file-from = il file CA { $path } (da { $from }) { $why }. Correggere { $from } perché indichi un file PEM dell'autorità, o togliere questa impostazione
err-client-cert = il certificato client { $path } { $why }. Indicare un certificato PEM con --client-cert (e la sua chiave con --client-key)
err-client-cert-bare = il certificato client { $path } { $why }
err-key-not-in-cert = il certificato client { $path } { $why }; mettere la chiave nello stesso file o indicare --client-key. Indicare un certificato PEM con --client-cert (e la sua chiave con --client-key)
err-client-key = la chiave client { $path } { $why }. Indicare la chiave privata del certificato (PEM) con --client-key
err-key-mismatch = la chiave client { $key } non corrisponde al certificato { $cert }. Indicare la chiave creata con questo certificato
err-key-without-cert = --client-key { $key } è stato indicato senza --client-cert. Indicarli entrambi
err-key-without-cert-config = `client_key` nel file di configurazione indica { $key }, ma non è impostato alcun certificato client: aggiungere `client_cert` al file di configurazione (o indicare --client-cert)
err-pem-missing = non si può leggere (non esiste)
err-pem-denied = non si può leggere (permesso negato)
err-pem-unreadable = non si può leggere ({ $kind })
err-pem-not-pem = non è un PEM valido ({ $detail })
err-pem-no-certificate = non contiene alcun certificato PEM (nessun blocco BEGIN CERTIFICATE)
err-pem-no-key = non contiene alcuna chiave privata PEM (nessun blocco BEGIN PRIVATE KEY)
err-pem-encrypted = è cifrata con una passphrase, e le chiavi cifrate non sono supportate. Decifrarla una volta con `openssl pkey -in CHIAVE -out CHIARA.key` e tenere privato quel file
err-pem-bad-key = non è una chiave PEM valida ({ $detail })
err-pem-no-authority = non contiene alcuna autorità di certificazione utilizzabile
err-pem-unusable = non è utilizzabile ({ $detail })
err-pem-cert-version1 = non è utilizzabile: è un certificato X.509 versione 1 (senza estensioni), che la libreria TLS di stepwise non può presentare, anche dove un gateway lo accetterebbe; chiedere a chi li emette un certificato versione 3
err-pem-cert-refused = non è utilizzabile: la libreria TLS rifiuta questo certificato; chiederne uno nuovo a chi li emette
err-proxy = il proxy in { $from } non è utilizzabile: { $why }. Indicarlo come http://HOST:PORT, o rimuovere { $from } per collegarsi direttamente
err-proxy-socks = il proxy in { $from } è un proxy SOCKS ({ $scheme }://), e stepwise parla solo con proxy HTTP. Chiedere il proxy HTTP della rete e indicarlo come http://HOST:PORT, o rimuovere { $from } per collegarsi direttamente
err-proxy-not-url = non è un URL ({ $detail })
err-proxy-scheme = lo schema { $scheme } non è supportato (solo proxy http://)
err-proxy-no-host = manca l'host
err-proxy-userinfo-chars = il nome utente o la password al suo interno contiene \, /, ? o #, che un URL accetta lì solo codificati in percentuale: scrivere \ come %5C (DOMINIO%5Cutente), / come %2F, ? come %3F e # come %23
err-tls-setup = impossibile configurare TLS: { $detail }
# Dove si conservano gli accessi: il portachiavi o il file degli accessi; { $why } e { $kind } sono parole del sistema
err-store-choice = STEPWISE_TOKEN_STORE deve essere keyring, file o auto, non { $value }
err-store-keyring-unusable = STEPWISE_TOKEN_STORE=keyring, ma il portachiavi non è utilizzabile: { $why }. { $fix }
err-store-nowhere = non c'è né un portachiavi né una cartella dati in cui conservare il token. Impostare HOME, o indicare un token con --token-file
err-store-no-data-dir = non c'è una cartella dati in cui conservare il token; impostare HOME
err-store-encode = impossibile codificare l'accesso: { $detail }
err-store-unreadable = l'accesso conservato per { $gateway } non si può leggere. Eseguire `stepwise logout`, poi `stepwise login`
err-store-too-slow = il portachiavi non ha risposto entro { $secs } s. Sbloccarlo, oppure impostare STEPWISE_TOKEN_STORE=file
err-store-keyring-entry = il portachiavi ha rifiutato una voce per { $gateway }: { $why }
err-store-keyring-read = impossibile leggere l'accesso dal portachiavi ({ $name }): { $why }. { $fix }
err-store-keyring-write = impossibile conservare l'accesso nel portachiavi ({ $name }): { $why }. { $fix }
err-store-keyring-too-small = l'accesso è troppo lungo per il portachiavi ({ $name }), che contiene al massimo { $max } byte per voce. Impostare STEPWISE_TOKEN_STORE=file per conservarlo in un file
err-store-keyring-remove = impossibile togliere l'accesso dal portachiavi ({ $name }): { $why }
keyring-no-bus = nessun bus di sessione del desktop (D-Bus) è raggiungibile, quindi nessun portachiavi può essere interrogato (una sessione SSH o di servizio, o un container, non ne ha)
keyring-locked = il portachiavi è bloccato, o la richiesta di sblocco è stata chiusa
keyring-no-service = nessun servizio portachiavi (Secret Service, come GNOME Keyring o KWallet) risponde
keyring-malformed = il segreto conservato lì è danneggiato
keyring-other = il portachiavi ha risposto: { $detail }
keyring-fix-no-bus = Eseguire stepwise nella sessione del desktop, oppure impostare STEPWISE_TOKEN_STORE=file
keyring-fix-locked = Sbloccarlo, oppure impostare STEPWISE_TOKEN_STORE=file
keyring-fix-start = Sbloccarlo o avviarlo, oppure impostare STEPWISE_TOKEN_STORE=file
err-store-file-damaged = il file degli accessi { $path } è danneggiato: non è il JSON che scrive stepwise (è stato letto, ma non compreso). Contiene gli accessi conservati di tutti i gateway, e nessuno è utilizzabile: spostarlo altrove (o eliminarlo)
err-login-file-damaged = { $why }, poi eseguire di nuovo questo comando
err-store-file-read = impossibile leggere il file degli accessi { $path }: { $kind }. Controllarne i permessi
err-store-file-in-the-way = impossibile leggere il file degli accessi { $path }: { $kind }. Spostare ciò che intralcia, perché la cartella dei dati sia una cartella
err-store-file-is-folder = impossibile leggere il file degli accessi { $path }: è una cartella, non un file. Spostare o rimuovere quella cartella (stepwise scrive i suoi accessi in un file con quel nome), poi accedere di nuovo
err-store-file-remove = impossibile eliminare il file degli accessi { $path }: { $kind }
err-store-file-folder = impossibile creare la cartella del file degli accessi { $path }: { $kind }. Controllare i permessi della cartella dati
err-store-file-create = impossibile creare il file degli accessi { $path }: { $kind }. Controllare i permessi della cartella dati
err-store-file-write = impossibile scrivere il file degli accessi { $path }: { $kind }. Controllare i permessi della cartella dati
err-store-file-replace = impossibile sostituire il file degli accessi { $path }: { $kind }. Controllare i permessi della cartella dati
# Accedere da un terminale semplice: stepwise login, logout e auth status
err-login-no-gateway = { $command } richiede un gateway: indicare --api URL (o STEPWISE_API, o `api` nel file di configurazione). Il simulatore integrato non richiede l'accesso
cli-api-from-env = L'indirizzo del gateway viene da STEPWISE_API, non da --api: correggerlo lì, oppure indicare --api (che ha la precedenza)
cli-api-from-config = L'indirizzo del gateway viene da `api` nel file di configurazione { $path }, non da --api: correggerlo lì, oppure indicare --api (che ha la precedenza)
err-login-cancelled = accesso annullato; non è stato conservato nulla
err-login-keep-failed = impossibile conservare il token: { $detail }
err-login-read-failed = impossibile leggere il token: { $detail }
err-login-terminal = impossibile leggere il token dal terminale: { $kind }. Darlo sull'input standard: `stepwise login --with-token < token.txt`
err-login-stdin = impossibile leggere il token dall'input standard: { $kind }. Darlo come testo, su una riga
err-login-token-lines = lo standard input contiene più righe, e un token è una sola: dare il token da solo, su una riga (un token spezzato da una mail o da un terminale va riunito); non è stato conservato nulla
err-login-token-refused = il gateway { $gateway } ha rifiutato questo token (HTTP 401), quindi non è stato conservato. Chiedere il token attuale a chi gestisce il gateway
err-login-token-dropped = il token non è stato conservato: il gateway a { $gateway } risponde come se nessun token lo avesse raggiunto (la sua challenge non nomina alcun errore), e la chiamata è passata dal proxy { $proxy }, che forse toglie l'intestazione Authorization, quindi non si sa se il gateway accetta il token. Impostare NO_PROXY={ $host } se il gateway è raggiungibile senza il proxy, o chiedere a chi gestisce il proxy di lasciar passare l'intestazione Authorization
err-login-token-untried-not-kept = il token non è stato conservato, perché non è stato possibile provarlo: { $why }. Conservarlo quando il proxy lascerà passare la richiesta (o NO_PROXY lo eviterà)
err-login-token-refused-signin = il gateway { $gateway } ha rifiutato questo token (HTTP 401), quindi non è stato conservato. Questo gateway offre l'accesso, i cui token si rinnovano da soli: eseguire `stepwise login` (senza --with-token)
err-login-refused-through-proxy = La chiamata è passata per il proxy { $proxy } (da { $from }), che può togliere l'intestazione Authorization lungo la strada, così che il gateway non ha visto alcun token: prima di tutto, impostare NO_PROXY={ $host } e riprovare, se il gateway è raggiungibile senza il proxy
err-login-token-scope = il gateway su { $gateway } ha preso questo token, ma dice che gli manca lo scope { $scope } (il suo WWW-Authenticate: insufficient_scope), quindi i passi sarebbero rifiutati con esso: non è stato conservato. Chiedere a chi fornisce i token uno con quello scope
err-login-token-scope-unnamed = il gateway su { $gateway } ha preso questo token, ma dice che gli manca uno scope che non nomina (il suo WWW-Authenticate: insufficient_scope), quindi i passi sarebbero rifiutati con esso: non è stato conservato. Chiedere a chi gestisce il gateway quale, e a chi fornisce i token uno che lo abbia
err-login-kept-unchanged = { $words }. L'accesso conservato prima per questo gateway resta invariato
err-login-no-token = l'input standard non contiene un token utilizzabile: dare una riga di caratteri visibili (senza spazi), al massimo 8 KiB
err-logout-failed = impossibile togliere il token: { $detail }
err-logout-unreached = la revoca presso il provider di identità non è riuscita ({ $why }), quindi l'accesso resta conservato qui: il suo token di rinnovo resta valido presso il provider, e `stepwise logout` potrà revocarlo quando il provider sarà raggiungibile. Per dimenticarlo qui senza revocarlo, eseguire `stepwise logout --forget`
err-logout-wait = la revoca presso il provider di identità per ora non è riuscita ({ $why }), e il provider chiede di attendere { $wait }, quindi l'accesso resta conservato qui: eseguire di nuovo `stepwise logout` dopo l'attesa per revocarlo. Per dimenticarlo qui senza revocarlo, eseguire `stepwise logout --forget`
err-logout-proxy = la revoca presso il provider di identità non è riuscita: { $words }. L'accesso resta conservato qui finché `stepwise logout` potrà revocarlo; per dimenticarlo qui senza revocarlo, eseguire `stepwise logout --forget`
err-logout-unreached-access = la revoca presso il provider di identità non è riuscita ({ $why }), quindi l'accesso resta conservato qui: il suo token resta valido presso il provider finché non scade, e `stepwise logout` potrà revocarlo quando il provider sarà raggiungibile. Per dimenticarlo qui senza revocarlo, eseguire `stepwise logout --forget`
# L'accesso da dispositivo del gateway: discovery e risposte del provider di identità; { $said } è l'errore del provider stesso
err-signin-endpoint-device = indirizzo
err-signin-endpoint-token = indirizzo del token
err-signin-endpoint-verification = indirizzo di verifica
err-signin-address-not-url = non è un URL
err-signin-address-plain-http = http semplice dietro un gateway https
err-signin-address-not-http = non è un URL http(s)
err-signin-address-no-host = manca l'host
err-signin-address = l'{ $what } di accesso del gateway { $url } non è utilizzabile: { $why }. Avvisare il gestore del gateway, o accedere con `stepwise login --with-token`
err-signin-address-provider = l'{ $what } di accesso del provider di identità { $url } non è utilizzabile: { $why }. Il codice non può essere approvato lì: avvisare chi gestisce il provider di identità
err-signin-discovery-status = il gateway { $gateway } ha risposto HTTP { $status } alla discovery di accesso ({ $path }). Riprovare più tardi, o accedere con `stepwise login --with-token`
err-signin-discovery-blocked = la scoperta dell'accesso su { $gateway } ha ricevuto una pagina web con HTTP { $status }{ $said }, non la risposta del gateway: qualcosa davanti al gateway (un firewall, un firewall applicativo o un reverse proxy) l'ha rifiutata, quindi non si sa se il gateway offra l'accesso. Chiedere a chi gestisce la rete se blocca questo indirizzo
err-signin-discovery-silent = il gateway { $gateway } ha accettato la connessione, ma la sua discovery di accesso ({ $path }) non ha risposto in tempo. Riprovare più tardi; se continua, avvisare chi gestisce il gateway
err-signin-discovery-named = il gateway a { $gateway } indica i suoi metadati di accesso a { $url } (nella challenge del suo HTTP 401), e quell'indirizzo non si è potuto usare ({ $met }): la risposta del gateway stesso era corretta, il suo indirizzo di accesso no. Avvisare chi gestisce il gateway; se si conosce il provider di identità di questo gateway, indicarlo con --issuer (o STEPWISE_ISSUER, `issuer` nel file di configurazione)
named-met-page = una pagina web, non metadati JSON
named-met-not-http = non è un indirizzo http(s)
named-met-no-server = i suoi metadati non nominano alcun server di autorizzazione
err-signin-discovery-not-json = il documento di discovery di accesso del gateway ({ $path }) non è JSON valido. Avvisare il gestore del gateway, o accedere con `stepwise login --with-token`
err-signin-issuer-not-json = i metadati del provider di identità ({ $url }) non sono JSON valido: verificare --issuer (o STEPWISE_ISSUER) se indicato, altrimenti avvisare chi gestisce il gateway; oppure accedere con `stepwise login --with-token`
err-signin-issuer-page = i metadati del provider di identità ({ $url }) sono una pagina web{ $said }, non il suo JSON: l'indirizzo è un sito web o un portale, non il provider di identità. Verificare --issuer (o STEPWISE_ISSUER) se indicato, altrimenti avvisare chi gestisce il gateway; se un portale risponde al posto del provider, chiedere a chi gestisce la rete
err-signin-discovery-missing = il documento di discovery di accesso del gateway non ha { $field }: non offre l'accesso da dispositivo. Accedere con `stepwise login --with-token`
err-login-no-device = --device chiede l'accesso tramite dispositivo, e il provider di identità di { $gateway } non lo offre (i suoi metadati non hanno device_authorization_endpoint). Accedere senza --device su una macchina dove si può aprire un browser, o salvare un token dato da chi gestisce il gateway (`stepwise login --with-token`)
err-signin-not-offered-status = il gateway { $gateway } non offre l'accesso (nessun /.well-known/oauth-authorization-server, HTTP { $status }). Se --api è giusto, accetta un token fisso da chi lo gestisce: conservare quel token con `stepwise login --with-token`
err-signin-not-offered = il gateway { $gateway } non offre l'accesso (nessun /.well-known/oauth-authorization-server). Se --api è giusto, accetta un token fisso da chi lo gestisce: conservare quel token con `stepwise login --with-token`
err-login-not-needed = il gateway { $gateway } non offre l'accesso, e ha risposto senza token: qui non ne serve nessuno, quindi non c'è nulla a cui accedere né da conservare. Eseguire `stepwise steps --car ID` così com'è
err-login-refused-at-once = accesso eseguito, ma il gateway { $gateway } ha rifiutato il token appena emesso dal provider di identità (HTTP 401, provato una volta): non accetta nessuno dei token di questo provider così come vengono chiesti. Chiedere a chi gestisce il gateway quale audience e quali scope vuole, e indicare l'audience con --audience o `audience` nel file di configurazione; l'accesso resta conservato fino ad allora (`stepwise logout` lo dimentica)
err-login-scope-at-once = accesso eseguito, ma il gateway su { $gateway } dice che al token appena emesso dal provider di identità manca lo scope { $scope } (il suo WWW-Authenticate: insufficient_scope, provato una volta), quindi i passi verrebbero rifiutati con esso. { $why } L'accesso resta salvato fino ad allora (`stepwise logout` lo dimentica)
login-scope-not-granted = Il provider ha concesso solo { $granted }: chiedere al suo amministratore di concedere { $scope } al client stepwise.
login-scope-asked = L'accesso ha chiesto { $scope }, quindi accedere di nuovo chiede lo stesso: chiedere all'amministratore del provider se concede { $scope } a stepwise, o al gestore del gateway quale scope o audience vuole.
login-scope-not-asked = Accedere di nuovo chiedendolo: `stepwise login --scope "{ $ask }"` (o `scopes` nel file di configurazione).
err-signin-too-large = la risposta di { $url } supera { $kib } KiB. Controllare che --api punti a un gateway dei passi
err-signin-compressed-proxy = la chiamata di accesso a { $url } è tornata compressa ({ $encoding }) attraverso il proxy { $proxy }, benché stepwise chieda le risposte così come sono: il proxy, o il server dietro di esso, le comprime. Chiedere a chi gestisce il proxy, o avvisare il gestore del gateway; impostare NO_PROXY={ $host } se è raggiungibile senza il proxy, il che mostra anche chi lo fa
err-signin-compressed = la chiamata di accesso a { $url } è tornata compressa ({ $encoding }), benché stepwise chieda le risposte così come sono: qualcosa davanti al provider di identità le comprime. Avvisare il gestore del gateway
err-signin-redirected = la chiamata di accesso a { $url } ha ricevuto un reindirizzamento a { $to }; stepwise non inoltra codici o token di accesso a un altro indirizzo. Chiedere all'amministratore del gateway l'indirizzo proprio del servizio di accesso
err-signin-code-refused = il provider di identità ha rifiutato di dare un codice ({ $said }). Riprovare più tardi, o accedere con `stepwise login --with-token`
err-signin-code-busy = il provider di identità non può dare un codice per ora ({ $said }). Attendere un minuto ed eseguire di nuovo `stepwise login`, o accedere con `stepwise login --with-token`
err-signin-code-busy-wait = il provider di identità non può dare un codice per ora ({ $said }) e chiede di attendere { $wait }. Eseguire di nuovo `stepwise login` dopo quell'attesa
err-signin-metadata-busy = il provider di identità a { $issuer } non può dare i suoi metadati di accesso per ora (HTTP { $status }): è occupato o sta limitando le richieste, e l'emittente è giusto. Riprovare tra un minuto
err-signin-metadata-busy-wait = il provider di identità a { $issuer } non può dare i suoi metadati di accesso per ora (HTTP { $status }) e chiede di attendere { $wait }: è occupato o sta limitando le richieste, e l'emittente è giusto. Riprovare dopo quell'attesa
err-signin-not-device-code = la risposta del provider di identità su { $url } non è un codice dispositivo (RFC 8628). Controllare l'indirizzo dell'emittente (--issuer, STEPWISE_ISSUER o `issuer` nel file di configurazione) se ne è indicato uno, altrimenti avvisare chi gestisce il gateway
err-signin-device-code-lacks = la risposta del provider di identità a { $url } è un codice dispositivo senza il suo { $member } (RFC 8628 §3.2), quindi l'accesso non può proseguire. Avvisare chi gestisce il provider
err-signin-bad-device-code = il provider di identità ha dato un codice dispositivo inutilizzabile. Controllare l'indirizzo dell'emittente (--issuer, STEPWISE_ISSUER o `issuer` nel file di configurazione) se ne è indicato uno, altrimenti avvisare chi gestisce il gateway
err-signin-unsafe-user-code = il provider di identità ha dato un codice che non si può mostrare in sicurezza ({ $code }). Controllare l'indirizzo dell'emittente (--issuer, STEPWISE_ISSUER o `issuer` nel file di configurazione) se ne è indicato uno, altrimenti avvisare chi gestisce il gateway
err-signin-not-token-answer = la risposta di token del provider di identità non è utilizzabile: non è una risposta di token (RFC 6749). Controllare l'indirizzo dell'emittente (--issuer, STEPWISE_ISSUER o `issuer` nel file di configurazione) se ne è indicato uno, altrimenti avvisare chi gestisce il gateway
err-signin-not-bearer = la risposta di token del provider di identità non è utilizzabile: il token non è un token Bearer. Controllare l'indirizzo dell'emittente (--issuer, STEPWISE_ISSUER o `issuer` nel file di configurazione) se ne è indicato uno, altrimenti avvisare chi gestisce il gateway
err-signin-token-characters = la risposta di token del provider di identità non è utilizzabile: il token contiene caratteri che un header non può portare. Controllare l'indirizzo dell'emittente (--issuer, STEPWISE_ISSUER o `issuer` nel file di configurazione) se ne è indicato uno, altrimenti avvisare chi gestisce il gateway
err-signin-token-empty = la risposta token del provider di identità non è utilizzabile: il suo access_token è vuoto. Avvisare chi gestisce il provider; se è indicato un emittente (--issuer, STEPWISE_ISSUER o `issuer` nel file di configurazione), controllare che sia quello giusto
err-signin-stopped = il provider di identità ha interrotto l'accesso ({ $said }). Eseguire di nuovo `stepwise login`
err-signin-grant-unsupported = il provider di identità non offre l'accesso con un codice su un altro dispositivo ({ $said }): accedere di nuovo così ottiene lo stesso. Accedere invece in un browser dove lo offre (`stepwise login` senza --device, su una macchina con desktop), o conservare un token con `stepwise login --with-token`; avvisare chi gestisce il provider se il flusso dispositivo dovrebbe funzionare
err-signin-code-too-short = il codice del provider di identità dura { $lives }, ma il provider chiede di essere interrogato solo ogni { $every }: il codice scade prima di poter essere chiesto una sola volta, quindi nessuna approvazione può passare (non è stato interrogato nulla). Avvisare chi gestisce il provider: la durata o l'intervallo di interrogazione dei suoi codici dispositivo sono impostati male
err-signin-code-expired-early = il provider di identità ha detto il codice scaduto dopo { $after }, benché gli avesse dato { $lives }: nessuna approvazione sarebbe potuta arrivare prima. Il suo orologio o la durata dei suoi codici è sbagliato (o il codice è già stato usato): avvisare chi gestisce il provider
err-signin-code-lifetime-none = il codice dispositivo del provider di identità dura { $said } s secondo la sua risposta (expires_in): scade prima che qualcuno possa approvarlo, quindi non è stato interrogato nulla. Avvisare chi gestisce il provider: la durata dei suoi codici dispositivo è impostata male
err-signin-poll-failing = mentre il codice attendeva l'approvazione, il provider di identità ha fallito { $times } volte di fila ({ $said }), quindi l'accesso è stato abbandonato. Attendere { $wait }, poi accedere di nuovo per un nuovo codice; se persiste, avvisare chi gestisce il provider
err-signin-poll-failing-page = mentre il codice attendeva l'approvazione, all'indirizzo dei token del provider di identità è stata data { $times } volte di fila una pagina web come risposta ({ $said }): qualcosa davanti al provider (un bilanciatore di carico o un reverse proxy) sta fallendo, quindi l'accesso è stato abbandonato. Attendere { $wait }, poi accedere di nuovo per un nuovo codice; se persiste, avvisare chi gestisce il provider
err-signin-limited = il provider di identità sta limitando le richieste (HTTP 429) e chiede di attendere { $wait }, più a lungo di quanto duri il codice. Eseguire di nuovo `stepwise login` dopo quell'attesa
err-signin-refresh-failed = il provider di identità non è riuscito a rinnovare il token ({ $said }). Riprovare tra un minuto
err-signin-refresh-failed-wait = il provider di identità per ora non è riuscito a rinnovare il token ({ $said }) e chiede di attendere { $secs } s. Riprovare allora
err-signin-renewal-lost = il rinnovo del token inviato a { $url } non ha avuto risposta (la connessione si è chiusa o è rimasta muta dopo la richiesta): il provider di identità potrebbe aver rinnovato l'accesso, consumando il token di rinnovo conservato qui. Riprovare una volta; se allora dice che l'accesso è esaurito, accedere di nuovo con `stepwise login`
err-signin-renewal-lost-proxy = il rinnovo del token non ha avuto risposta: { $why }. Se il rinnovo ha raggiunto il provider di identità, può aver consumato il refresh token conservato qui: quando il proxy lascerà passare le richieste, riprovare; se allora dice che l'accesso è esaurito, accedere di nuovo con `stepwise login`
err-signin-keeping-failed = salvataggio del token non riuscito: { $detail }. Accedere di nuovo
err-signin-opening-failed = apertura dell'archivio dei token non riuscita: { $detail }. Accedere di nuovo
err-over-revoked = l'accesso a { $gateway } è scaduto o è stato revocato ({ $said })
err-over-spent = l'accesso a { $gateway } è stato consumato da un rinnovo precedente la cui risposta si è persa per strada ({ $said }): molto probabilmente il provider di identità l'ha rinnovato allora, e il token di rinnovo conservato qui è esaurito
err-over-marked = il provider di identità ha chiuso l'accesso a { $gateway } ({ $said })
err-over-client-refused = il provider di identità rifiuta il client id { $client } dell'accesso a { $gateway } ({ $said }): non lo conosce, o non gli lascia più rinnovare gli accessi. Impostare l'id registrato per stepwise presso di lui con --client-id ID o `client_id` nel file di configurazione, o chiedere al suo amministratore se questo client è ancora ammesso
err-over-no-renewal = il provider di identità non lascia che il client id { $client } rinnovi l'accesso a { $gateway } ({ $said }): ogni accesso dura quanto il suo token, e richiedere non cambierà le cose. Per accedere meno spesso, chiedere all'amministratore del provider di consentire i refresh token per questo client
err-over-renewal-refused = il provider di identità ha rifiutato di rinnovare l'accesso a { $gateway } ({ $said }), e rifiuterebbe di nuovo la stessa richiesta
err-over-refused-fresh = il gateway rifiuta anche un token che il provider di identità ha appena rinnovato: non accetta alcun token di questo provider così come viene richiesto, e accedere di nuovo allo stesso modo dà lo stesso risultato. Chiedere a chi gestisce il gateway quale audience e quali scope si aspetta, e indicare l'audience con --audience o `audience` nel file di configurazione
err-over-refused-new = il gateway rifiuta un token che il provider di identità ha emesso pochi minuti fa e che non si può rinnovare: non accetta alcun token di questo provider così come viene richiesto, e accedere di nuovo allo stesso modo dà lo stesso risultato. Chiedere a chi gestisce il gateway quale audience e quali scope si aspetta, e indicare l'audience con --audience o `audience` nel file di configurazione
err-over-refused-unseen = il gateway risponde come se non gli fosse arrivato alcun token (la sua challenge non nomina alcun errore), anche con uno che il provider di identità ha appena dato: qualcosa tra questa macchina e il gateway (un proxy, un bilanciatore di carico) può scartare l'intestazione Authorization, oppure il gateway non accetta alcun token di questo provider. Chiedere a chi gestisce la rete e il gateway; se la causa è il token, indicare l'audience attesa dal gateway con --audience o `audience` nel file di configurazione
err-over-no-token-address = l'accesso conservato non ha un indirizzo del token utilizzabile

## stepwise doctor
# The words beside ✓ ! ✗ -, so no line depends on colour alone.
doctor-mark-ok = ok
doctor-mark-warning = avviso
doctor-mark-failed = errore
doctor-mark-skipped = saltato
# The name of each check, in the order they are shown.
doctor-check-config = Configurazione
doctor-check-device-id = Id dispositivo
doctor-check-gateway = Indirizzo gateway
doctor-check-dns = Risoluzione nome
doctor-check-proxy = Proxy
doctor-check-tcp = Connessione TCP
doctor-check-tls = TLS
doctor-check-client-cert = Certificato client
doctor-check-token = Token
doctor-check-clock = Orologio
doctor-check-first-list = Primo elenco
doctor-check-refresh = Rilettura stepsID
doctor-check-next-step = Prossimo passo
doctor-check-status-filter = Filtro di stato
doctor-check-error-body = Corpo di errore
doctor-check-events = Eventi live
doctor-check-guidance = Pagine cliente
doctor-summary = { $failed ->
        [one] { $failed } errore
       *[other] { $failed } errori
    }, { $warnings ->
        [one] { $warnings } avviso
       *[other] { $warnings } avvisi
    }, { $ok } ok, { $skipped ->
        [one] { $skipped } saltato
       *[other] { $skipped } saltati
    }
doctor-target-unusable = (impostazioni inutilizzabili)
doctor-target-embedded = il simulatore integrato
doctor-skip = non eseguito
doctor-skip-settings = non eseguito: le impostazioni sono inutilizzabili
doctor-skip-no-gateway = non eseguito: nessun gateway
doctor-skip-bad-address = non eseguito: nessun indirizzo del gateway utilizzabile
doctor-skip-unreachable = non eseguito: il gateway non è raggiungibile
doctor-skip-proxy = non eseguito: nessun passaggio attraverso il proxy
doctor-skip-insecure = non eseguito: nessuna connessione sicura con il gateway
doctor-skip-ca-file = non eseguito: il file CA non è utilizzabile
doctor-skip-run-limit = non eseguito: è stato raggiunto il limite di { $limit } s dell'intera esecuzione di doctor (la sua risposta più lenta finora ha richiesto { $secs } s)
doctor-config-no-dir = nessuna cartella di configurazione su questo sistema: valgono i valori predefiniti
doctor-config-none = nessun file in { $path }: valgono i valori predefiniti
doctor-device-kept = conservato in { $path }
doctor-device-no-folder = non conservato: su questa macchina non è nota alcuna cartella dei dati, quindi ogni esecuzione è un nuovo dispositivo per il gateway
doctor-config-read = { $path } letto
doctor-config-fix = Correggere il file, o far puntare STEPWISE_CONFIG a un altro file
doctor-gateway-no-sim = nessun gateway configurato, e il simulatore integrato non si avvia: { $error }
doctor-gateway-unusable = { $address } non è utilizzabile: { $why }
doctor-gateway-fix = Indicare --api come https://gateway.example o http://127.0.0.1:8080
doctor-gateway-fix-env = Correggere STEPWISE_API, da cui viene questo indirizzo (oppure indicare --api, che ha la precedenza), come https://gateway.example o http://127.0.0.1:8080
doctor-gateway-fix-config = Correggere `api` nel file di configurazione, da cui viene questo indirizzo (oppure indicare --api, che ha la precedenza), come https://gateway.example o http://127.0.0.1:8080
doctor-gateway-embedded = nessuno configurato: il simulatore integrato su { $url }
doctor-gateway-from-env = { $url } (da STEPWISE_API)
doctor-gateway-from-config = { $url } (da `api` nel file di configurazione)
doctor-url-scheme = sono supportati solo http e https
doctor-url-no-host = manca l'host
doctor-proxy-none = nessuno: connessione diretta
doctor-proxy-no-proxy = NO_PROXY esclude il proxy per { $host }: connessione diretta
doctor-proxy-other-scheme = nessuno per i gateway { $scheme }://: { $var } è impostato, ma serve solo i gateway dell'altro schema; connessione diretta. Se questo gateway deve passare da quel proxy, impostare { $wanted } (o ALL_PROXY)
doctor-proxy-used = { $proxy } (da { $from })
doctor-proxy-407 = { $proxy } ha risposto alla chiamata al gateway con 407 Proxy Authentication Required: vuole nome utente e password
doctor-proxy-407-refused = { $proxy } ha risposto alla chiamata al gateway con 407 Proxy Authentication Required: ha rifiutato nome utente e password della variabile del proxy
doctor-proxy-401 = { $proxy } ha risposto alla chiamata al gateway con HTTP 401 e un accesso (Basic): quello del proxy stesso, o quello di un server web dietro di esso
doctor-proxy-401-refused = { $proxy } ha risposto alla chiamata al gateway con HTTP 401 e un accesso (Basic) anche se la variabile del proxy contiene un nome utente e una password
doctor-proxy-answered = { $proxy } ha risposto da sé alla chiamata al gateway con HTTP { $status }: la richiesta non ha mai raggiunto il gateway
doctor-proxy-401-page = la chiamata al gateway attraverso { $proxy } ha ricevuto una pagina web HTTP 401 senza challenge: quella del proxy, o una che ha inoltrato da davanti al gateway (un portale, un reverse proxy), che chiede un accesso proprio
doctor-proxy-bare-401 = la chiamata al gateway attraverso { $proxy } ha ricevuto un HTTP 401 nudo, senza corpo né challenge: giudicato sotto come quello del gateway (un token), anche se può averlo dato il proxy stesso
doctor-proxy-gateway-down = { $proxy } ha preso la chiamata al gateway e risposto HTTP { $status }: non ha potuto raggiungere il gateway, che non è in esecuzione (vedere Corpo di errore)
doctor-proxy-tunnel = { $proxy } (da { $from }) { $why }
doctor-tunnel-timeout = non ha risposto a CONNECT entro { $secs } s
doctor-tunnel-broken = ha interrotto la richiesta CONNECT: { $error }
doctor-tunnel-refused = ha rifiutato il tunnel: { $status }
doctor-tunnel-limited = ha risposto da sé { $status } a CONNECT: il proxy limita le richieste (nessuna regola contro questa destinazione)
doctor-tunnel-none = ha risposto { $status } a CONNECT: non apre alcun tunnel, quindi è un server web, o un proxy che non sa trasportare https://. Il gateway non è stato interpellato
doctor-tunnel-not-http = ha risposto a CONNECT senza HTTP ({ $said }): la variabile del proxy indica qualcosa che non è un proxy HTTP
doctor-tunnel-closed = ha chiuso la connessione senza rispondere a CONNECT: non si sa se lascerebbe passare il tunnel. Riprovare; se persiste, chiedere a chi gestisce il proxy se lascia passare CONNECT verso questo host
doctor-tunnel-unreached = non ha potuto raggiungere il gateway attraverso il tunnel: { $status }
doctor-tunnel-password-wanted = vuole nome utente e password per il tunnel ({ $status }): inserirli nella variabile del proxy come http://utente:password@proxy:porta
doctor-tunnel-password-refused = ha rifiutato nome utente e password della variabile del proxy ({ $status }): controllarli
doctor-tunnel-portal = ha risposto al tunnel con { $status } e nessuna challenge: un accesso proprio (quello di un portale), a cui nessun nome utente e password nella variabile del proxy risponde. Accedervi in un browser su questa macchina, o chiedere a chi gestisce il proxy
doctor-tunnel-windows = chiede un accesso Windows per il tunnel ({ $status }, Negotiate o NTLM), che stepwise non può dare: nessun nome utente e password nella variabile del proxy vi risponde. Chiedere a chi gestisce il proxy di lasciar passare questo host senza di esso, oppure impostare NO_PROXY per esso se è raggiungibile direttamente
doctor-fix-proxy = Controllare la variabile del proxy, o aggiungere questo host a NO_PROXY
doctor-fix-tunnel-refused = La variabile del proxy è giusta: il proxy ha risposto, e rifiuta questa destinazione. Chiedere a chi gestisce il proxy di lasciar passare CONNECT verso { $host }, o impostare NO_PROXY={ $host } se il gateway è raggiungibile direttamente
doctor-fix-tunnel-none = Controllare { $from }: deve indicare un proxy HTTP che fa da tunnel per https (host e porta; spesso porta 3128 o 8080)
doctor-fix-tunnel-retry = Riprovare; se persiste, chiedere a chi gestisce il proxy, o impostare NO_PROXY={ $host } se il gateway è raggiungibile direttamente
doctor-fix-tunnel-unreached = Il proxy non ha potuto raggiungere { $host }: controllare che il gateway sia attivo e che l'host in --api sia giusto; se lo è, chiedere a chi gestisce il proxy
doctor-dns-address = { $ip } è un indirizzo: niente da risolvere
doctor-dns-address-proxy = il proxy { $ip } è un indirizzo: niente da risolvere (il proxy risolve il nome del gateway)
doctor-dns-resolved-proxy = il proxy { $host } → { $addrs } (è il proxy a risolvere il nome del gateway)
doctor-dns-failed = impossibile risolvere { $host }: { $error }
doctor-dns-failed-proxy = impossibile risolvere il proxy { $host }: { $error }
doctor-dns-fix = Controllare il nome host in --api (o nella variabile del proxy) e le impostazioni DNS di questa macchina
doctor-dns-fix-proxy = Controllare il nome del proxy nella variabile del proxy e le impostazioni DNS di questa macchina, o impostare NO_PROXY per l'host del gateway se è raggiungibile senza il proxy
doctor-proxy-unresolved = { $proxy } (da { $from }): il suo nome è sconosciuto al DNS di questa macchina
doctor-dns-timeout = nessuna risposta per { $host } entro { $secs } s
doctor-dns-timeout-proxy = nessuna risposta per il proxy { $host } entro { $secs } s
doctor-dns-timeout-fix = Controllare le impostazioni DNS di questa macchina
doctor-tcp-no-address = nessun indirizzo
doctor-tcp-timeout = { $addr }: nessuna risposta entro { $secs } s
doctor-tcp-failed = impossibile connettersi al gateway: { $error }
doctor-tcp-failed-proxy = impossibile connettersi al proxy: { $error }
doctor-tcp-fix = Controllare che il gateway sia attivo, la porta in --api ed eventuali firewall
doctor-tcp-connected = connesso a { $addr } in { $ms } ms
doctor-tcp-connected-proxy = connesso al proxy su { $addr } in { $ms } ms
doctor-tls-plain = non usato: l'indirizzo è in semplice http://
doctor-tls-skipped-cert = non provato: il certificato client non è utilizzabile
doctor-tls-bad-name = { $host } non è un nome TLS utilizzabile
doctor-tls-certificate = certificato
doctor-tls-issued = certificato per { $subject }, emesso da { $issuer }
doctor-tls-timeout = nessun handshake TLS entro { $secs } s
doctor-tls-timeout-fix = Controllare che la porta in --api parli TLS; se sì, avvisare chi gestisce il gateway
doctor-tls-trusted = { $version }; { $issued }; attendibile
doctor-tls-trusted-left = { $version }; { $issued }, { $days ->
        [one] ancora { $days } giorno
       *[other] ancora { $days } giorni
    }; attendibile
doctor-tls-ends-soon = Avvisare chi gestisce il gateway che il suo certificato scade presto
doctor-tls-asks-cert = { $issued }; attendibile; il gateway chiede un certificato client
doctor-tls-unknown-issuer = { $issued }: l'emittente non è attendibile qui (emittente sconosciuto)
doctor-tls-unknown-issuer-proxy = { $issued }: l'emittente non è attendibile qui (emittente sconosciuto) (tramite il proxy { $proxy }, che potrebbe ispezionare il TLS)
doctor-tls-add-ca-file = Aggiungere --ca-file { $path }
doctor-tls-add-ca-of = Aggiungere --ca-file FILE, dove FILE è il certificato (PEM) di { $issuer }; chiederlo all'amministratore di rete
doctor-tls-add-ca = Aggiungere --ca-file FILE con il certificato (PEM) dell'autorità emittente
doctor-tls-use-ca-file = Usare --ca-file { $path }: il file dell'autorità in uso ({ $given }) non ha firmato questo certificato
doctor-tls-ca-file-not-issuer = Il file dell'autorità in uso ({ $given }) non ha firmato questo certificato: forse contiene un certificato server invece della sua autorità, o un'autorità rifatta da allora. Chiedere a chi gestisce il gateway il certificato attuale della sua autorità (PEM)
doctor-tls-intermediate-missing = Il file di autorità in uso ({ $given }) non contiene { $issuer }, che ha firmato questo certificato, e il gateway non ha inviato alcuna autorità intermedia con esso. O il gateway non invia la sua intermedia: chiedere al gestore di servire la catena completa (certificato, poi intermedie); nel frattempo aggiungere il certificato di { $issuer } al file funziona. O il file contiene un'altra autorità: prendere il certificato dell'autorità del gateway (PEM) dal suo gestore
doctor-tls-expired = { $issued }: scaduto
doctor-tls-expired-ago = { $issued }: scaduto da { $days ->
        [one] { $days } giorno
       *[other] { $days } giorni
    }
doctor-fix-date-operator = Controllare la data di questa macchina; se è giusta, avvisare chi gestisce il gateway
doctor-tls-not-yet = { $issued }: non ancora valido
doctor-fix-date = Controllare data e ora di questa macchina
doctor-tls-wrong-host = { $issued }: non emesso per l'host in --api
doctor-tls-wrong-host-fix = Usare in --api il nome host o l'indirizzo per cui è stato emesso il certificato
doctor-tls-wrong-host-names = { $issued }: emesso per { $names }, non per l'host in --api
doctor-tls-wrong-host-names-fix = Usare in --api un nome per cui è stato emesso il certificato ({ $names }), oppure far emettere il certificato del gateway per il nome usato
doctor-tls-no-host-names = { $issued }: non nomina alcun host (nessun nome alternativo del soggetto; il solo common name non viene letto)
doctor-tls-no-host-names-fix = Far riemettere il certificato del gateway con il suo nome host come nome alternativo del soggetto; nessun --api lo risolve
doctor-tls-old-version = { $issued }: un certificato X.509 versione 1, che TLS non accetta più
doctor-tls-old-version-fix = Far riemettere il certificato del gateway in versione 3, con il suo nome host come nome alternativo del soggetto; nessun --api, --ca-file o certificato client può rimediare
doctor-tls-closed = il server ha accettato la connessione, poi l'ha chiusa durante l'handshake TLS: forse non parla TLS su questa porta, o rifiuta questo client. Verificare la porta in --api
doctor-tls-authority-as-server = { $issued }: certificato di un'autorità (CA:TRUE) usato come certificato del server
doctor-tls-authority-as-server-fix = Chiedere a chi gestisce il gateway di usare un certificato server firmato da quell'autorità; tenere il certificato dell'autorità per --ca-file
doctor-tls-not-tls = chi ha risposto non parla TLS
doctor-tls-not-tls-fix = Controllare la porta, o usare http:// se il gateway non ha TLS
doctor-tls-refused = il gateway ha rifiutato l'handshake ({ $alert })
doctor-tls-refused-fix = Controllare --api; se è giusto, avvisare chi gestisce il gateway
doctor-tls-wants-cert = il gateway chiede un certificato client
doctor-fix-client-cert = Fornirne uno con --client-cert FILE --client-key FILE
doctor-tls-other = non riuscito: { $error }
doctor-tls-other-fix = Controllare --api, --ca-file e il certificato client
doctor-tls-proxy-cut = il proxy { $proxy } ha aperto il tunnel verso { $host }, poi l'handshake TLS attraverso di esso si è interrotto ({ $why }): il proxy, o ciò che sta dietro, l'ha interrotto
doctor-tls-proxy-cut-fix = Chiedere a chi gestisce il proxy se lascia passare TLS verso questo host, o impostare NO_PROXY={ $host } se il gateway è raggiungibile senza il proxy
doctor-cert-required = nessuno fornito, e il gateway ne richiede uno
doctor-cert-fix-config = Fornirne uno con --client-cert FILE --client-key FILE (o client_cert/client_key nel file di configurazione)
doctor-cert-not-asked = nessuno fornito; il gateway non ne ha chiesto uno
doctor-cert-none = nessuno fornito
doctor-cert-none-plain = nessuno fornito (semplice http://)
doctor-cert-unusable-plain = non presentato con semplice http://, ma non si potrebbe presentarlo a un gateway https://: { $why }
doctor-cert-about = { $path }: { $subject }, emesso da { $issuer }
doctor-cert-refused = { $about }: il gateway l'ha rifiutato ({ $alert })
doctor-cert-unsupported = { $about }: il gateway l'ha rifiutato come non supportato; di solito non è fatto per un client (il certificato di un server)
doctor-cert-fix-client-use = Usare un certificato emesso per l'autenticazione client
doctor-cert-expired-said = { $about }: secondo il gateway è scaduto
doctor-cert-not-taken = { $about }: il gateway non l'ha accettato
doctor-cert-fix-authority = Usare un certificato emesso dall'autorità di cui il gateway si fida
doctor-cert-expired = { $about }: scaduto da { $days ->
        [one] { $days } giorno
       *[other] { $days } giorni
    }
doctor-cert-fix-new = Chiedere un nuovo certificato client
doctor-cert-not-yet = { $about }: non ancora valido
doctor-cert-ends-soon = { $about }: { $days ->
        [one] resta { $days } giorno
       *[other] restano { $days } giorni
    }
doctor-cert-fix-soon = Chiedere presto un nuovo certificato client
doctor-cert-ok-left = { $about }; la chiave corrisponde; { $days ->
        [one] resta { $days } giorno
       *[other] restano { $days } giorni
    }
doctor-cert-ok = { $about }; la chiave corrisponde
doctor-source-config-token = il token del file di configurazione
doctor-source-config-token-file = il token_file del file di configurazione { $path }
doctor-source-nowhere = da nessuna parte
doctor-token-wanted = nessuno fornito, e il gateway ne vuole uno
doctor-token-wanted-said = nessuno fornito, e il gateway ne vuole uno (HTTP 401), dicendo «{ $said }»
doctor-token-fix-give = Accedere con `stepwise login`, o fornirne uno con --token-file PERCORSO, STEPWISE_TOKEN o `token` nel file di configurazione
doctor-token-fix-fixed = Non offre accesso: il suo token viene da chi lo gestisce. Conservare quel token con `stepwise login --with-token`, o darlo con --token-file PERCORSO, STEPWISE_TOKEN o `token` nel file di configurazione
doctor-token-embedded = non serve per il simulatore integrato
doctor-token-not-asked = nessuno fornito; il gateway non ne ha chiesto uno
doctor-token-not-checked = nessuno fornito; non verificato: nessun gateway dei passi ha risposto
doctor-token-not-checked-unusable = nessuno fornito; non verificato: ciò che ha risposto non era utilizzabile (la riga Primo elenco dice come)
doctor-token-none-limited = nessuno fornito; non verificato: le richieste sono limitate (HTTP 429)
doctor-token-none-failing = nessuno fornito; non verificato: le risposte erano errori (HTTP 5xx)
doctor-fix-proxy-password = Il proxy vuole nome utente e password: inserirli nella variabile del proxy (http://utente:password@proxy:porta)
doctor-fix-proxy-password-refused = Il proxy ha rifiutato nome utente e password della variabile del proxy: verificarli (caratteri come @ : / % vanno codificati in percentuale)
doctor-fix-not-a-gateway = Questo indirizzo non è un gateway dei passi: dare a --api l'URL di base sotto cui si trova pims/subscription/steps
doctor-fix-client-cert-front = Il front-end TLS del gateway vuole un certificato client: fornirne uno con --client-cert FILE --client-key FILE
doctor-fix-gateway-failed = Il gateway ha un guasto: riprovare tra un minuto; se persiste, avvisare chi gestisce il gateway
doctor-fix-call-not-offered = L'elenco funziona con questo --api: il gateway non offre questa chiamata, o qualcosa davanti a lui non la inoltra. Avvisare il gestore del gateway
doctor-fix-proxy-5xx = Il proxy ha risposto con la propria pagina di errore: non ha raggiunto il gateway. Verificare host e porta in --api e che il gateway sia attivo; se sono giusti, chiedere a chi gestisce il proxy
doctor-fix-proxy-loopback = Il gateway è su questa macchina ({ $host }), e { $from } manda le sue richieste a quel proxy: esso (o un proxy a cui inoltra) non raggiunge gli indirizzi propri di questa macchina. Impostare NO_PROXY={ $host }
doctor-fix-loopback-down = Nulla è in ascolto su { $host }:{ $port } su questa macchina (provato direttamente): il gateway non è in esecuzione lì, quindi nemmeno il proxy ha potuto raggiungerlo. Controllare che sia in esecuzione e che la porta in --api sia giusta
doctor-guidance-not-a-page = ha risposto 200 con { $kind } e senza lingua: non è una pagina di guida (la pagina pigliatutto di un portale?), quindi il codice QR porta a docs_base_url, o alle pagine per sviluppatori archiviate
doctor-token-embedded-given = fonte: { $source }; non inviato al simulatore integrato
doctor-token-expired = fonte: { $source }; scaduto da { $ago }
doctor-token-fix-new = Procurarsi un nuovo token
doctor-token-login-unreadable = nessuno inviato: { $why }
doctor-token-fix-login-damaged = Una volta spostato altrove, accedere di nuovo con `stepwise login`, oppure fornire un token con --token-file PERCORSO, STEPWISE_TOKEN o `token` nel file di configurazione
doctor-token-login-unreadable-unneeded = nessuno inviato, e il gateway ha risposto senza token. Accesso conservato: { $why }
doctor-token-expired-taken = da { $source }; la sua scadenza dice che è finito { $ago } fa, eppure il gateway l'ha accettato
doctor-token-fix-new-soon = Ottenere un nuovo token prima che il gateway rifiuti questo
doctor-token-refused = fonte: { $source }; il gateway l'ha rifiutato (HTTP 401)
doctor-token-dropped = fonte: { $source }; il gateway risponde come se nessun token lo avesse raggiunto (la sua challenge non nomina alcun errore), e la richiesta è passata dal proxy { $proxy }: il proxy forse toglie l'intestazione Authorization
doctor-token-refused-said = fonte: { $source }; il gateway l'ha rifiutato (HTTP 401) dicendo «{ $said }»
doctor-token-scope = fonte: { $source }; il gateway l'ha accettato, ma dice che gli manca uno scope (HTTP { $status }, insufficient_scope)
doctor-token-fix-refused = Procurarsi un nuovo token, o controllare che sia destinato a questo gateway
doctor-token-fix-dropped = Un token nuovo sarebbe rifiutato allo stesso modo: impostare NO_PROXY per questo host se il gateway è raggiungibile senza il proxy, o chiedere a chi gestisce il proxy di lasciar passare l'intestazione Authorization
doctor-token-fix-beside-file = Un accesso conservato per questo gateway viene accettato da esso (provato ora), e --token-file prevale su di esso: togliere --token-file per usare quell'accesso, o mettere in quel file il token attuale di questo gateway
doctor-token-fix-beside-environment = Un accesso conservato per questo gateway viene accettato da esso (provato ora), e STEPWISE_TOKEN prevale su di esso: rimuovere STEPWISE_TOKEN per usare quell'accesso, o impostarla sul token attuale di questo gateway
doctor-token-fix-beside-refused = Anche l'accesso conservato per questo gateway è rifiutato (provato ora): procurarsi il token attuale di questo gateway e rinnovare l'accesso conservato (`stepwise login`, o `stepwise login --with-token` dove il gateway non offre l'accesso)
doctor-token-expires = fonte: { $source }; scade tra { $within }
doctor-token-not-tried = fonte: { $source }; non provato (il gateway non è stato raggiunto)
doctor-token-not-tried-unusable = fonte: { $source }; non giudicato: ciò che ha risposto non era utilizzabile (la riga Primo elenco dice come)
doctor-token-failing = fonte: { $source }; non giudicato: ogni risposta era un errore (HTTP 5xx), che non dice nulla del token
doctor-token-limited = fonte: { $source }; non provato: le richieste sono limitate (HTTP 429)
doctor-token-took = fonte: { $source }; il gateway l'ha accettato (la scadenza non è scritta nel token)
doctor-token-unchecked = fonte: { $source }; inviato, ma il gateway risponde anche senza token: qui non ne controlla nessuno, quindi non ha né accettato né rifiutato questo
doctor-token-renewed = fonte: { $source }; il gateway ha rifiutato il token conservato (HTTP 401) e ha accettato quello rinnovato, come ogni comando lo rinnova
doctor-token-renewal-failed = fonte: { $source }; il gateway l'ha rifiutato (HTTP 401), e rinnovarlo, come farebbe ogni comando, non è riuscito: { $why }
doctor-token-due-renewal-failed = fonte: { $source }; il suo token era scaduto, e rinnovarlo, come farebbe ogni comando, non è riuscito: { $why }
doctor-why-timeout = nessuna risposta entro { $secs } s
doctor-http-setup = impossibile preparare HTTP: { $error }
doctor-no-answer = nessuna risposta utilizzabile: { $why }
doctor-not-a-list = la risposta non è un elenco di passi: { $error }
doctor-not-a-step = la risposta non è un passo: { $error }
doctor-fix-steps-gateway = Controllare che --api indichi un gateway dei passi
doctor-fix-not-a-list-here = --api risponde come un gateway dei passi (la riga Corpo di errore): è la sua risposta per questo carAssociationID a essere sbagliata. Segnalarlo a chi gestisce il gateway; doctor con l'id di un altro veicolo mostra se altri hanno il loro elenco
doctor-fix-proxy-html = La risposta è arrivata attraverso il proxy: la pagina può essere quella del proxy stesso (una pagina di accesso o un portale). Impostare NO_PROXY={ $host } se il gateway è raggiungibile senza il proxy; altrimenti controllare che --api indichi un gateway dei passi
doctor-list-cut = la lista è stata troncata: { $error }
doctor-fix-cut = Riprovare; se resta troncata, il gateway o qualcosa lungo il percorso (un proxy) tronca le sue risposte: avvisare chi gestisce il gateway
doctor-fix-no-answer = Riprovare; se persiste, il gateway o qualcosa davanti a esso (un proxy, un bilanciatore di carico) scarta questa chiamata: avvisare il gestore del gateway
doctor-fix-unusable = È arrivata una risposta, ma nessuna che stepwise possa usare, e richiedere dà lo stesso: fare ciò che dicono le parole qui sopra
doctor-fix-network-proxy = Ha risposto un proxy di questa rete, anche se qui non ne è impostato alcuno: impostare HTTPS_PROXY (HTTP_PROXY per http://) a http://utente:password@proxy:porta con il suo indirizzo, oppure chiedere all'amministratore della rete
doctor-fix-limited = Il gateway sta limitando le richieste: attendere un minuto, poi eseguire di nuovo doctor
doctor-fix-wait = Il gateway chiede di attendere { $secs } s: eseguire di nuovo doctor dopo; se persiste, avvisare chi gestisce il gateway
doctor-fix-refused-front = Qualcosa davanti al gateway (un firewall, un WAF o un reverse proxy) ha rifiutato la richiesta: chiedere a chi lo gestisce di lasciar passare questa macchina
doctor-fix-refused-proxy = Il proxy, o qualcosa davanti al gateway, ha rifiutato la richiesta: chiedere a chi gestisce il proxy se lascia passare questo indirizzo, oppure impostare NO_PROXY per questo host se il gateway è raggiungibile senza il proxy
doctor-fix-proxy-bare-401 = Dare prima il token del gateway (vedere la riga Token); se il 401 resta con un token, chiedere a chi gestisce il proxy se chiede un accesso proprio, oppure impostare NO_PROXY={ $host } se il gateway è raggiungibile direttamente
doctor-error-body-no-answer = nessuna risposta utilizzabile dal gateway: { $why }
doctor-error-body-no-answer-fix = Controllare che il gateway sia attivo e non sovraccarico, poi riprovare
doctor-error-body-dropped = una richiesta senza id non ha avuto risposta ({ $why }) dove un gateway risponde 400 con un messaggio JSON; il primo elenco è stato comunque chiesto per carAssociationID
doctor-why-wants-tls = il server a { $base } parla TLS, e --api dice http://
doctor-fix-use-https = Usare https:// in --api (il server parla TLS)
doctor-clock-skipped = non eseguito: nessun gateway dei passi ha risposto
doctor-clock-unusable = non eseguito: ciò che ha risposto non era utilizzabile (la riga Primo elenco dice come)
doctor-clock-limited = non eseguito: le richieste sono limitate (HTTP 429); eseguire di nuovo doctor dopo l'attesa
doctor-clock-failed = non eseguito: la risposta era un errore (HTTP { $status }), senza elenco o corpo di errore del gateway da cui leggere l'orologio
doctor-error-body-ok = una richiesta senza id riceve 400 con un messaggio JSON ({ $message })
doctor-error-body-other-shape = una richiesta senza id riceve 400 con un messaggio JSON di un'altra forma comune (RFC 7807 o OAuth), che stepwise legge ({ $message })
doctor-error-body-code-only = solo il codice
doctor-error-body-not-json = una richiesta senza id riceve 400, ma nessun corpo JSON { $shape }
doctor-fix-error-json = Segnalare a chi gestisce il gateway: i corpi di errore devono essere JSON
doctor-fix-error-400 = Avvisare il gestore del gateway: una richiesta senza id dovrebbe ricevere 400 con il corpo di errore. Solo se è fallita anche la riga Primo elenco, verificare che --api punti a un gateway dei passi
doctor-fix-error-400-no-car = Potrebbe non essere affatto un gateway dei passi: rieseguire con --car ID. Se poi la riga Primo elenco riesce, avvisare il gestore del gateway che una richiesta senza id dovrebbe ricevere 400; altrimenti verificare che --api punti a un gateway dei passi
doctor-error-body-401 = non verificato: il gateway vuole prima un token valido (HTTP 401)
doctor-error-body-unjudged = non giudicato: neanche il primo elenco ha trovato un gateway dei passi a questo indirizzo
doctor-error-body-unjudged-failed = non giudicato: nemmeno il primo elenco ha avuto risposta
doctor-error-body-unjudged-unusable = non giudicato: nemmeno la risposta al primo elenco era utilizzabile
doctor-error-body-proxy = non giudicato: il proxy ha risposto al posto del gateway
doctor-error-body-gateway-down = non giudicato: il gateway non è in esecuzione a { $host }:{ $port } (lì non ascolta nulla, provato direttamente)
doctor-error-body-limited = non valutato: le richieste sono limitate (HTTP 429)
doctor-error-body-other = una richiesta senza id riceve { $answer } invece di 400
doctor-error-body-failing = non giudicato: una richiesta senza id riceve { $answer }, un errore che non dice nulla di come il gateway risponde a una richiesta errata
doctor-first-no-car = non provato: nessun carAssociationID indicato
doctor-first-no-car-fix = Rieseguire con --car ID per provare le chiamate dei passi
doctor-first-401 = HTTP 401: il gateway vuole un token valido
doctor-first-proxy-login = HTTP 401 con un accesso (Basic) dal proxy, non dal gateway: la richiesta non ha mai raggiunto il gateway
doctor-first-proxy-page = HTTP 401 con una pagina web senza challenge, tramite il proxy: quella del proxy, o una che ha inoltrato da davanti al gateway (un portale, un reverse proxy), non una richiesta di token di un gateway
doctor-first-proxy-page-401 = HTTP 401 con una pagina web senza corpo d'errore di un gateway, tramite il proxy: quella del proxy, o una che ha inoltrato da davanti al gateway (un portale, un reverse proxy)
doctor-basic-prompt = HTTP 401 che chiede un accesso a cui un token bearer non può rispondere (nome utente e password, o accesso Windows), senza il corpo di errore di un gateway: l'accesso di un server web o di un reverse proxy, non un gateway dei passi (che accetta un token bearer)
doctor-front-401 = HTTP 401 con una pagina web e senza challenge di accesso (nessuna intestazione WWW-Authenticate), senza corpo d'errore di un gateway: qualcosa davanti al gateway (un reverse proxy, un server web o un portale) chiede un accesso proprio; nessun token è stato giudicato
doctor-fix-front-401 = Se prima sono arrivate liste da questo indirizzo senza token, non manca alcun token del gateway: chiedere a chi gestisce la rete o il gateway che cosa chiede questo accesso; altrimenti, chiedere loro se il gateway vuole un token lì
doctor-see-token = Vedere la riga Token
doctor-see-proxy = Vedere la riga Proxy
doctor-first-fix-car = Controllare il carAssociationID indicato con --car
doctor-first-fix-demo = Nessun gateway è configurato (né --api, né STEPWISE_API, né `api` nel file di configurazione), quindi doctor ha verificato la demo integrata, che conosce solo { $ids }: per verificare il proprio gateway, dare --api URL
doctor-first-fix-filter = Le parole del gateway nominano il filtro di stato (stepsStatus), che doctor non ha scelto: ha chiesto tutti i passi con stepsStatus=all, il valore predefinito del contratto (steps e la procedura guidata richiedono allora senza). Avvisare chi gestisce il gateway
doctor-first-fix-car-or-api = Le sue parole non nominano alcun id: controllare il carAssociationID dato con --car; se la riga Corpo di errore riceve lo stesso 404 per una chiamata senza id, --api non punta al gateway dei passi (il 404 di un router): controllare --api
doctor-first-no-steps-id = { $count ->
        [one] { $count } passo
       *[other] { $count } passi
    } ma nessuno stepsID
doctor-first-fix-steps-id = Segnalare a chi gestisce il gateway: l'elenco deve contenere uno stepsID
doctor-first-ok = carAssociationID { $car }: { $count ->
        [one] { $count } passo
       *[other] { $count } passi
    } ({ $done } { $done ->
        [one] fatto
       *[other] fatti
    }), stepsID { $steps_id }
doctor-first-slow = Il gateway ha impiegato fino a { $secs } s per rispondere: lento, ma entro i { $limit } s che l'assistente attende (un gateway carico, o una linea lenta)
doctor-refresh-ok = { $count ->
        [one] { $count } passo
       *[other] { $count } passi
    }
doctor-refresh-fix = L'elenco riletto nomina passi diversi dal primo: avvisare chi gestisce il gateway
doctor-next-todo = { $name } da fare
doctor-next-none = non resta niente da fare
doctor-next-nothing = niente
doctor-next-disagrees = { $got }, ma l'elenco dice { $listed }
doctor-next-fix = Segnalare a chi gestisce il gateway: il prossimo passo non concorda con l'elenco
doctor-filter-ok = stepsStatus=todo restituisce { $todo ->
        [one] l'unico passo da fare
       *[other] i { $todo } passi da fare
    }
doctor-filter-bad = stepsStatus=todo restituisce { $count ->
        [one] { $count } passo
       *[other] { $count } passi
    } ({ $stray } non da fare); l'elenco ne ha { $todo } da fare
doctor-filter-unknown = { $bad }; più { $unknown } con uno stato fuori dal contratto, che stepwise conta come non fatti
doctor-filter-fix = Segnalare a chi gestisce il gateway: stepsStatus non viene applicato
doctor-events-ok = offerti, e il primo evento (l'elenco attuale) è arrivato subito: la procedura segue le modifiche in diretta
doctor-events-silent = lo stream si è aperto, ma nessun evento è arrivato entro { $secs } s, benché un gateway invii subito l'elenco attuale: qualcosa lungo la strada (un proxy) trattiene gli eventi. La procedura si riconnette, poi interroga periodicamente
doctor-events-other-type = il flusso si è aperto e ha inviato eventi di tipo «{ $kind }», ma nessuno di tipo steps entro { $secs } s: le sue liste arrivano con un tipo di evento diverso da quello del contratto, e la procedura guidata non ne legge nessuna. La procedura guidata si riconnette, poi interroga periodicamente
doctor-events-no-list-events = il flusso si è aperto e ha inviato solo eventi di tipo «{ $kind }», senza lista dentro, e nessuna lista entro { $secs } s, benché un gateway invii subito la lista attuale. La procedura guidata si riconnette, poi interroga periodicamente
doctor-events-fix-other-type = Avvisare chi gestisce il gateway: ogni lista deve arrivare come `event: steps` (o senza riga event), non come «{ $kind }»
doctor-events-cut = il flusso si è chiuso prima che il suo primo evento fosse completo (dopo { $bytes } byte): il gateway l'ha interrotto, quindi la procedura si riconnette, poi interroga
doctor-events-empty = la chiamata degli eventi ha risposto ed è terminata senza inviare nulla (0 byte): non fornisce alcun flusso di eventi, quindi la procedura guidata si ricollega, poi interroga
doctor-events-not-text = i byte del flusso non sono testo UTF-8: l'assistente lo interrompe, si riconnette, poi interroga
doctor-events-error-event = il primo evento è un errore, non l'elenco attuale: { $said }
doctor-events-fix-buffered = Chiedere a chi gestisce il proxy di far passare text/event-stream senza buffer (nginx: proxy_buffering off)
doctor-events-fix-buffered-direct = Qui non si usa alcun proxy: avvisare il gestore del gateway che il gateway, o un reverse proxy davanti a lui, trattiene gli eventi o non invia subito l'elenco attuale (nginx: proxy_buffering off)
doctor-events-other-list = il primo evento è l'elenco di uno stepsID diverso da quello chiesto: la procedura non lo prende
doctor-events-bad-event = il primo evento non è un elenco di passi ({ $error }): la procedura ripiega sull'interrogazione periodica
doctor-events-compressed = lo stream è arrivato compresso, benché stepwise non lo chieda: la procedura interroga periodicamente al suo posto
doctor-events-fix-compressed = Chiedere a chi gestisce il gateway (o il proxy) di inviare text/event-stream non compresso
doctor-events-not-stream = risponde, ma non con text/event-stream: la procedura interroga a intervalli
doctor-events-page = ha risposto con una pagina web (HTML), non con text/event-stream: qualcosa davanti al gateway (un proxy, un firewall) può bloccare i flussi; la procedura guidata interroga a intervalli
doctor-events-fix = Segnalare a chi gestisce il gateway: gli eventi live devono essere Server-Sent Events
doctor-events-fix-page = Chiedere a chi gestisce la rete davanti al gateway (un proxy, un firewall) di lasciar passare text/event-stream; se davanti non c'è nulla, avvisare il gestore del gateway
doctor-events-fix-2346 = Segnalare a chi gestisce il gateway: la sua chiamata degli eventi rifiuta stepsID a cui la sua chiamata dell'elenco risponde
doctor-events-fix-content = Avvisare il gestore del gateway: ogni evento deve portare come dati l'elenco dei passi dello stepsID richiesto
doctor-events-fix-cut = Avvisare il gestore del gateway (o chi gestisce un reverse proxy davanti a lui) che il suo flusso di eventi si chiude a metà del primo evento
doctor-events-fix-empty = Segnala a chi gestisce il gateway (o un reverse proxy davanti a esso) che la sua chiamata degli eventi termina subito senza flusso: forse un proxy la trattiene o la interrompe
doctor-events-fix-error-event = Avvisare il gestore del gateway di ciò che ha detto il suo flusso di eventi: un flusso deve iniziare con l'elenco attuale dello stepsID chiesto, che la chiamata dell'elenco ha appena dato
doctor-events-404 = non offerti (404): la procedura interroga invece a intervalli
doctor-events-2346 = rifiutato (404, codice 2346): il flusso dice di non avere alcun passo per lo stepsID { $id }, che la chiamata dell'elenco ha appena dato: il gateway si contraddice. L'assistente interroga invece
doctor-events-http = { $answer }: la procedura interroga invece a intervalli
doctor-events-limited = { $answer }: il gateway limita il flusso. L'assistente attende { $secs } s, come chiede il gateway, con ogni richiesta verso di esso, poi riapre il flusso: l'elenco sullo schermo non viene aggiornato nel frattempo
doctor-events-limited-unnamed = { $answer }: il gateway limita il flusso. L'assistente attende quanto chiede il gateway, con ogni richiesta verso di esso, poi riapre il flusso: l'elenco sullo schermo non viene aggiornato nel frattempo
doctor-events-no-answer = nessuna risposta ({ $why }): la procedura riapre il flusso attendendo ogni volta di più, e interroga a intervalli solo se nel frattempo arriva un elenco
doctor-events-proxy-held = nessuna risposta attraverso il proxy { $proxy }, benché le chiamate dell'elenco attraverso di esso abbiano avuto risposta: il proxy trattiene una risposta che non finisce (mette in buffer il flusso di eventi). La procedura guidata interroga periodicamente invece
doctor-events-proxy-own = il proxy { $proxy } ha risposto da sé HTTP { $status } al flusso di eventi, anche se le chiamate dell'elenco attraverso di esso hanno avuto risposta: il proxy non inoltra il flusso. L'assistente interroga invece
doctor-events-fix-proxy-held = Chiedere a chi gestisce il proxy di far passare text/event-stream senza buffer, o impostare NO_PROXY={ $host } se il gateway è raggiungibile senza
doctor-guidance-ok = offerte: il codice QR e il tasto «o» aprono la pagina del gateway nella lingua del cliente
doctor-guidance-404 = non offerte (404): il codice QR porta a docs_base_url, o alle pagine archiviate per sviluppatori
doctor-guidance-http = { $answer }: il codice QR porta a docs_base_url, o alle pagine archiviate per sviluppatori
doctor-guidance-no-answer = nessuna risposta ({ $why }): il codice QR porta a docs_base_url, o alle pagine archiviate per sviluppatori
doctor-clock-no-date = il gateway non invia l'intestazione Date: gli orologi non si possono confrontare
doctor-clock-bad-date = l'intestazione Date del gateway { $date } non è leggibile
doctor-clock-ahead = l'orologio di questa macchina è avanti di { $secs } s rispetto al gateway
doctor-clock-behind = l'orologio di questa macchina è indietro di { $secs } s rispetto al gateway
doctor-clock-fix = Controllare data e ora di questa macchina: se sono giuste, l'orologio del gateway è sbagliato (avvisare il suo gestore); se no, regolare l'orologio di questa macchina (NTP): i controlli di token e certificati ne dipendono
doctor-clock-fix-gateway = L'orologio del gateway è sbagliato: la sua data ({ $date }) è anteriore alla creazione di questo programma. Avvisare il gestore del gateway; lasciare l'orologio di questa macchina com'è
doctor-clock-fix-ours = L'orologio di questa macchina è sbagliato: indica una data anteriore alla creazione di questo programma. Regolarlo (NTP): i controlli di token e certificati ne dipendono
doctor-clock-ok = entro { $secs } s dall'orologio del gateway

## The command line's own errors (clap's error kinds, in words of the catalogue)

help-cli-options-placeholder = [OPZIONI]
help-cli-value-file = FILE
help-cli-value-path = PERCORSO
help-cli-value-seconds = SECONDI
help-cli-value-dir = CARTELLA
help-cli-value-mode = MODALITÀ
help-cli-value-status = STATO
help-cli-value-shell = SHELL
help-cli-value-lang = LINGUA
help-cli-value-token = TOKEN
help-cli-value-addr = INDIRIZZO
cli-clap-missing-value = '{ $arg }' richiede un valore, ma non ne è stato dato nessuno
cli-clap-invalid-value = valore '{ $value }' non valido per '{ $arg }'
cli-clap-possible-values = valori possibili: { $values }
cli-clap-unknown-argument = argomento inatteso '{ $arg }'
cli-arg-token-as-argument = login --with-token legge il token dallo standard input, mai dalla riga di comando, dove la cronologia della shell e l'elenco dei processi lo conservano (il valore dato non viene mostrato): `stepwise login --with-token < token.txt`, o eseguire `stepwise login --with-token` e incollarlo
cli-clap-unknown-command = comando sconosciuto '{ $name }'
cli-clap-missing-required = mancano questi argomenti obbligatori: { $args }
cli-clap-only-with = { $given } vale solo con { $needed }: aggiungere { $needed } oppure togliere { $given }
cli-clap-range = indicare un numero da { $low } a { $high }
cli-clap-conflict = l'argomento '{ $arg }' non può essere usato con { $other }
cli-clap-repeated = l'argomento '{ $arg }' può essere dato una sola volta
cli-clap-extra-value = valore inatteso '{ $value }' per '{ $arg }'
cli-clap-needs-command = '{ $name }' richiede un comando: { $values }
cli-clap-did-you-mean = forse si intendeva '{ $suggestion }'?
cli-no-watch-command = non esiste il comando watch: il monitoraggio è il tasto w dell'assistente (`stepwise --car ID`, poi w; per molti veicoli `stepwise fleet --cars FILE`, poi w); uno script richiede di nuovo `stepwise steps --car ID`
cli-clap-try-help = Per saperne di più: '--help'.
cli-clap-other = impossibile leggere la riga di comando

## The manual page's section headings (stepwise man)

man-section-name = NOME
man-section-synopsis = SINTASSI
man-section-description = DESCRIZIONE
man-section-options = OPZIONI
man-section-extra = NOTE
man-section-version = VERSIONE
man-section-authors = AUTORI
man-section-environment = AMBIENTE
man-env-token = Il token bearer del gateway (se non è impostata, vale l'accesso conservato)
man-env-docs-url = Le pagine di aiuto del concessionario, a cui portano i link della guida del tecnico (docs_base_url nel file di configurazione)
man-env-token-store = Dove login conserva i token: keyring, file o auto (predefinito)
man-env-config = Il file di configurazione da leggere al posto di quello predefinito (stepwise doctor ne mostra il percorso)
man-env-log = Il filtro del log, ad es. debug o stepwise=trace (predefinito info); i log vanno nella cartella logs della cartella dati
man-env-no-color = Impostata e non vuota: nessun colore sullo schermo
man-section-files = FILE
man-section-keys = TASTI
man-files-config = Il file di configurazione (STEPWISE_CONFIG ne indica un altro; su macOS e Windows si trova nella cartella del sistema, che stepwise doctor mostra)
man-files-device-id = L'id dispositivo di questa installazione, inviato con ogni richiesta
man-files-recent = Gli ultimi carAssociationID aperti, conservati per ogni gateway e proposti nella schermata iniziale quando si usa di nuovo lo stesso gateway
man-files-logins = Gli accessi conservati da stepwise login quando non si usa un portachiavi, leggibili solo dall'utente
man-files-reports = I rapporti di sessione scritti con x (--report scrive dove indica)
man-files-logs = I log della procedura guidata (STEPWISE_LOG ne stabilisce la quantità)
man-files-demo-state = Ciò che il backend dimostrativo ha imparato nelle esecuzioni precedenti (stepwise demo --fresh lo dimentica)
man-files-sim-tls = L'autorità, il certificato e la chiave di stepwise serve --tls, a meno che --tls-dir non indichi un'altra cartella
auth-unknown-client = il provider di identità non conosce il client id { $client } ({ $said }). Impostare l'id registrato per stepwise presso di lui con --client-id ID o `client_id` nel file di configurazione
auth-client-wants-secret = il provider di identità vuole che il client { $client } si autentichi ({ $said }): è registrato lì come client confidenziale, con un segreto, e stepwise accede come client pubblico. Chiedere a chi gestisce il provider un id di client pubblico per stepwise (senza segreto, accesso da dispositivo o browser consentito), poi indicarlo con --client-id ID o `client_id` nel file di configurazione
auth-client-not-allowed = il provider di identità conosce l'id client { $client }, ma non gli permette di accedere in questo modo ({ $said }), e non offre a stepwise nessun altro modo. Chiedere all'amministratore del provider di consentire il flusso dispositivo per questo client; nel frattempo conservare un token con `stepwise login --with-token`
auth-client-not-allowed-device = il provider di identità conosce l'id client { $client }, ma non gli permette di accedere con un codice su un altro dispositivo ({ $said }). Accedere invece in un browser: `stepwise login` senza --device, su una macchina con desktop; o chiedere all'amministratore del provider di consentire il flusso dispositivo per questo client; o conservare un token con `stepwise login --with-token`
auth-client-not-allowed-browser = il provider di identità conosce l'id client { $client }, ma non gli permette di accedere in un browser ({ $said }). Accedere invece con un codice su un altro dispositivo: `stepwise login --device`; o chiedere all'amministratore del provider di consentirlo; o conservare un token con `stepwise login --with-token`
auth-unknown-scope = il provider di identità non conosce uno degli scope richiesti ({ $said }); richiesti: { $scopes }. Impostare quelli che conosce con --scope o `scopes` nel file di configurazione (chiederli a chi lo gestisce), poi rieseguire `stepwise login`
err-signin-issuer-mismatch = il provider di identità su { $asked } si chiama { $got }: i suoi metadati non sono i suoi. Controllare --issuer (o STEPWISE_ISSUER, `issuer` nel file di configurazione) se indicato, altrimenti avvisare chi gestisce il gateway (i suoi metadati di accesso nominano questo provider)
err-signin-issuer-unnamed = i metadati del provider di identità a { $asked } non nominano alcun emittente (manca il membro `issuer`), quindi non si può verificare che siano suoi. Avvisare chi gestisce il provider; controllare --issuer (o STEPWISE_ISSUER, `issuer` nel file di configurazione) se indicato
err-signin-resource-mismatch = i metadati di accesso che il gateway { $gateway } pubblica ({ $path }) sono per un'altra risorsa, { $named }: i token dell'accesso che indicano sarebbero per quella risorsa, non per questo gateway, quindi non vengono usati (RFC 9728). Avvisare chi gestisce il gateway; se si conosce il provider di identità di questo gateway, indicarlo con --issuer (o STEPWISE_ISSUER, `issuer` nel file di configurazione)
err-signin-issuer-none = il provider di identità su { $issuer } non pubblica metadati (né /.well-known/openid-configuration né /.well-known/oauth-authorization-server; HTTP { $status }). Controllare --issuer (o STEPWISE_ISSUER, `issuer` nel file di configurazione) se indicato, altrimenti avvisare chi gestisce il gateway (i suoi metadati di accesso nominano questo provider)
err-signin-issuer-missing = il provider di identità { $issuer } pubblica metadati senza { $field }: non offre lì alcun accesso che stepwise possa usare. Controllare --issuer (o STEPWISE_ISSUER, `issuer` nel file di configurazione) se indicato, altrimenti avvisare il gestore del gateway (i suoi metadati di accesso nominano questo provider)
err-signin-issuer-bad = l'issuer { $issuer } non è un URL http(s). Indicarne uno come https://login.example.com/realms/workshop
err-signin-endpoint-authorization = indirizzo di autorizzazione
err-signin-endpoint-revocation = indirizzo di revoca
login-expires-no-refresh = Il token scade alle { $time }. Non è arrivato alcun token di rinnovo (il provider ne dà uno con lo scope offline_access), quindi a quel punto accedere di nuovo.
login-expires-no-refresh-asked = Il token scade alle { $time }. Non è arrivato alcun token di aggiornamento, benché l'accesso abbia chiesto offline_access: il provider di identità non ne dà a stepwise (il suo amministratore può consentirlo), quindi accedere di nuovo allora.
login-keyring-fallback = Nota: il portachiavi non ha potuto conservare il token ({ $why }), quindi è conservato in un file leggibile solo da te (modo 0600). `stepwise logout` lo rimuove.
login-browser-signing-in = Indirizzo passato al browser: accedere lì, poi tornare qui (Ctrl-C annulla).
login-browser-address = Se nessun browser mostra l'accesso, aprire questo indirizzo su questa macchina: { $address }
login-browser-done = Accesso eseguito: chiudere questa scheda e tornare al terminale.
login-browser-failed-page = Questo accesso non è riuscito: il terminale dice perché.
logout-revoked = Il provider di identità ha revocato l'accesso ({ $endpoint }).
logout-revoked-page = L'indirizzo di revoca ({ $endpoint }) ha risposto HTTP 200, che significa revocato, ma con una pagina web dove il provider di identità non risponde nulla: se lì risponde un portale o un proxy al suo posto, l'accesso può restare valido presso il provider finché scade.
logout-not-revoked = Il provider di identità non offre la revoca: l'accesso è dimenticato qui, e il suo token di rinnovo resta valido presso di lui fino alla scadenza.
logout-not-revoked-access = Il provider di identità non offre la revoca: l'accesso è dimenticato qui, e il suo token resta valido là finché non scade.
logout-revoke-failed = La revoca presso il provider di identità non è riuscita ({ $why }); l'accesso è comunque dimenticato qui. Il suo token di rinnovo resta valido presso il provider finché non scade o il provider non lo chiude: chiedere al suo amministratore di revocarlo se deve cessare ora.
logout-already-ended = Il provider di identità aveva già chiuso questo accesso ({ $said }): non c'è nulla da revocare.
logout-revoke-failed-access = La revoca presso il provider di identità non è riuscita ({ $why }); l'accesso è comunque dimenticato qui. Il token resta valido presso il provider finché non scade: chiedere al suo amministratore di revocarlo se deve cessare ora.
status-over = Rinnovo:   terminato dal provider di identità ({ $said }). Eseguire `stepwise login`
status-over-client = Rinnovo:   rifiutato: il provider di identità non accetta l'id client { $client } ({ $said }). Accedere con quello che conosce: `stepwise login --client-id ID` (o impostare `client_id` nel file di configurazione)
status-client = Client:    { $client }, scope { $scopes }, destinatario { $audience }
status-scopes-granted = { $asked } chiesti, { $granted } concessi
help-cli-login-issuer = L'URL issuer del provider di identità (altrimenti STEPWISE_ISSUER, `issuer` nel file di configurazione, altrimenti trovato tramite il gateway)
help-cli-login-client-id = Il client id registrato per stepwise presso il provider di identità (altrimenti `client_id` nel file di configurazione, altrimenti stepwise)
help-cli-login-scope = Gli scope da chiedere, separati da spazi (altrimenti `scopes` nel file di configurazione, altrimenti quelli del gateway, altrimenti "openid offline_access")
help-cli-login-audience = Il destinatario (risorsa) per cui chiedere il token (altrimenti `audience` nel file di configurazione)
help-cli-login-device = Accedere con un codice approvato in un browser qualsiasi, anche dove se ne potrebbe aprire uno qui
help-cli-serve-client-id = Un client id che il provider di identità conosce (ripetibile; predefinito: stepwise)
doctor-source-login = l'accesso conservato (`stepwise login`)
doctor-token-login-over = l'accesso conservato è stato terminato dal provider di identità ({ $said })
doctor-token-fix-login = Eseguire `stepwise login`
doctor-token-fix-client-id = Impostare il client id che il provider di identità conosce con --client-id ID (o `client_id` nel file di configurazione), poi eseguire `stepwise login --client-id ID`
doctor-token-fix-kept-fixed = È stato conservato con `stepwise login --with-token`: chiedere a chi gestisce il gateway il suo token attuale e conservarlo con `stepwise login --with-token`
