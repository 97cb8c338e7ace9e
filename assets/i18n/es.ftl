# stepwise — el catálogo de mensajes, español. Mismos ids y mismas
# variables que en.ftl; los números eligen las formas del plural.

## The steps screen

header-car = vehículo { $car }
header-steps-id = stepsID { $id }
header-at = a las { $time } UTC
header-not-loaded = sin cargar
header-watch-on = seguimiento: sí
header-watch-live = seguimiento: sí · en tiempo real
header-watch-polling = seguimiento: sí · consulta cada { $secs } s
header-watch-retrying = seguimiento: sí · reintentando
header-watch-off = seguimiento: no
header-autoplay = automático
header-guide-lang = cliente: { $lang }
progress-done = { $done } de { $total } hechos
progress-filtered = (filtro: «{ $filter }», { $shown ->
    [one] { $shown } paso mostrado
   *[other] { $shown } pasos mostrados
    })
list-title = Pasos, en orden
list-title-filtered = Pasos: solo «{ $filter }»
list-loading = Pidiendo los pasos a la pasarela…
list-loading-held = Retenido: la pasarela pidió a cada petición que esperara (HTTP 429, la cabecera lo cuenta hacia atrás); los pasos se piden cuando termine la espera.
list-none = Aún no hay lista: r para pedirla de nuevo.
list-none-waiting = Aún no hay lista: la pasarela pidió esperar (el mensaje dice cuánto); el seguimiento vuelve a preguntar cuando termine la espera.
list-none-sign-in = Aún no hay lista: la pasarela pide un token válido. Pulse «i» para iniciar sesión, si la pasarela lo ofrece (si no, vuelva a empezar con --token-file); después se vuelve a pedir la lista.
list-none-token-given = Aún no hay lista: la pasarela quiere un token válido, y el inicio de sesión aquí falla (el mensaje dice por qué). Salga y empiece de nuevo con un token dado: --token-file ARCHIVO o STEPWISE_TOKEN.
list-none-unknown-id = No hay lista: la pasarela no conoce este id, así que pedirla de nuevo no servirá. Revise el id.
list-none-fix-cause = No hay lista: pedirla de nuevo dará la misma respuesta hasta que se corrija lo que indica el mensaje.
list-empty-filtered = Ningún paso tiene el estado «{ $filter }». La tecla «f» cambia el filtro.
list-empty = La pasarela no devolvió pasos para este carAssociationID.
mark-next = AHORA
mark-waits = espera
mark-status-raw = estado { $status }
mark-waits-for = espera a { $order }
guide-title = Qué hace el cliente: { $title }
guide-title-none = Instrucciones
guide-no-step = No hay paso que guiar. Si la app del cliente sigue rechazando el servicio, compruebe el carAssociationID o reinicie la caché de pasos con R.
guide-waiting = Las instrucciones del siguiente paso aparecen cuando llega la lista.
guide-link = Guía:
guide-does = El cliente:
guide-needs = A mano:
guide-errors = Errores de la app en este paso:
guide-errors-hint = tecla «e»: qué significa
guide-link-archive = Documentación para desarrolladores (archivada, en inglés):
guide-keys-gateway = «g» muestra la página del cliente ({ $lang }) en la pasarela como código QR; la tecla «o» la abre.
guide-keys-dealer = «g» muestra la página de ayuda del concesionario como código QR; la tecla «o» la abre.
guide-keys-archive = «g» muestra la página archivada para desarrolladores como código QR; la tecla «o» la abre (la pasarela no sirve páginas para clientes).
guide-more-below = ↓ más: Av Pág
guide-more-above = ↑ más arriba: Re Pág
list-more-below = ↓ { $count } más: j
list-more-above = ↑ { $count } más arriba: k
ready-title = Servicio listo
ready-line = Todos los pasos están hechos: el servicio está listo para usarse.
ready-services = El servicio contratado (estado del vehículo o comandos remotos) ya se puede usar desde la app del cliente.
ready-stale-before = Si la app sigue fallando con el error 2312 o 2317, la caché de pasos está desfasada: pulse{" "}
ready-stale-after = {" "}para reiniciarla y ver el estado real.

## Requests in flight

loading-steps = obteniendo los pasos
loading-held = { $what }, retenido por el límite de la pasarela (HTTP 429)
loading-refresh = actualizando
loading-reset = reiniciando la caché de pasos
loading-next = pidiendo el siguiente paso
loading-customer = el cliente está actuando

## Banners
# Between a banner's title and its text (French puts a space before the colon).
banner-title-sep = {": "}
banner-cut = {" "}… más: una ventana más grande lo muestra todo{" "}
banner-cut-help = {" "}… más: ? lo muestra todo{" "}

banner-no-steps-id = Aún no hay stepsID
banner-no-steps-id-text = Actualice primero con r.
banner-no-steps-id-in-list-text = La lista de la pasarela llegó sin stepsID, y el paso siguiente solo se puede pedir por stepsID: r no traerá uno. Diga al operador de la pasarela que a su lista le falta el stepsID.
banner-steps-id-dropped = stepsID descartado
banner-steps-id-dropped-text = La pasarela rechazó el stepsID que había dado, así que se descartó; la lista en pantalla es la última que llegó con él. r pide uno nuevo por carAssociationID.
banner-watch-off = Sin seguimiento
banner-watch-off-text = w para seguir de nuevo.
banner-nothing-to-watch = Nada que seguir
banner-nothing-to-watch-text = Todos los pasos ya están hechos.
banner-no-step-shown = Ningún paso en pantalla
banner-no-step-shown-text = «g» y «o» dan al cliente la página del paso en pantalla, y no hay ninguno: aún no ha llegado ninguna lista, o no tiene pasos. La tecla «r» vuelve a pedir la lista.
banner-key-needs-list = «{ $key }» necesita una lista de pasos, y no ha llegado ninguna. Por qué:
banner-no-step-shown-filter-text = «g» y «o» dan al cliente la página del paso en pantalla, y el filtro oculta todos los pasos (ninguno tiene el estado «{ $filter }»). Pulse «f» hasta que se vean los pasos y elija uno con ↑↓.
banner-watching = Siguiendo
banner-watching-text = Se sigue la lista hasta que todo esté hecho (la cabecera indica cómo: en tiempo real o por consulta); «w» lo detiene.
banner-list-without-steps-id = Ningún stepsID en la lista
banner-list-without-steps-id-text = La lista de la pasarela no trae stepsID: la llamada del paso siguiente (n) y los eventos en vivo no pueden preguntar por él, así que la vigilancia pregunta por carAssociationID cada { $secs } s. Avise al operador de la pasarela: una lista trae su stepsID.
banner-watch-stopped = Seguimiento parado: { $what }
banner-live-trouble = Seguimiento interrumpido: { $what }
banner-live-stalls = Flujo en directo restablecido tras un bloqueo
live-bad-event = el flujo de eventos en directo de la pasarela envió un evento inutilizable: { $why }. Las listas en sí están bien; avise a quien gestiona la pasarela
live-proxy-held = el flujo de eventos en directo no tuvo respuesta en { $secs } s a través del proxy { $proxy }, aunque las llamadas de lista a través de él sí se responden: el proxy retiene una respuesta que no termina (almacena en búfer el flujo de eventos). Pida a quien gestiona el proxy que deje pasar text/event-stream sin búfer, o defina NO_PROXY={ $host } si la pasarela es accesible sin él
banner-live-trouble-text = { $why }. El seguimiento continúa solo en cuanto puede; hasta entonces la lista en pantalla puede estar desactualizada.
banner-live-trouble-wait-text = { $why }. La pasarela pidió esperar { $secs } s (su Retry-After): el seguimiento vuelve a preguntar entonces; hasta entonces la lista en pantalla puede estar desactualizada.
banner-live-trouble-wait-capped-text = { $why }. La pasarela pidió esperar { $secs } s (su Retry-After); stepwise espera como mucho { $max } s: el seguimiento vuelve a preguntar entonces; hasta entonces la lista en pantalla puede estar desactualizada.
banner-429-capped-text = { $why }. stepwise espera como mucho { $max } s: entonces vuelve a pedir (la cabecera lo cuenta), y la pasarela puede rechazarlo igual hasta que termine su propia espera.
banner-live-held-text = { $why }. La vigilancia no vuelve a preguntar por sí sola: una renovación del token cuya respuesta se perdió no se reenvía sin usted (su token de actualización puede estar gastado). Pulse r cuando el camino al proveedor de identidad funcione; hasta entonces la lista en pantalla puede estar desactualizada.
banner-watch-retries = El seguimiento vuelve a preguntar solo (la cabecera dice «reintentando»); r pregunta ya.
banner-watch-waits = El seguimiento vuelve a preguntar solo tras esa espera; preguntar antes (r) no ayuda.
banner-watch-waits-secs = El seguimiento vuelve a preguntar solo tras los { $secs } s de espera que pidió la pasarela; preguntar antes (r) no ayuda.
banner-env-restart = Un stepwise en marcha lee las variables de proxy al arrancar: salga (q) y vuelva a iniciarlo después de cambiarlas.
banner-live-fallback = Flujo en directo abandonado: la lista se pide cada { $secs } s
banner-live-fallback-text = El flujo de eventos de la pasarela fallaba una y otra vez (la última: { $what }). El seguimiento continúa pidiendo la lista cada { $secs } s: la lista en pantalla sigue al día, un cambio aparece hasta { $secs } s más tarde. Si esto continúa, dé el fallo entre paréntesis al operador de la pasarela, o a quien gestione un proxy en el camino (un flujo puede fallar en uno).
banner-live-fallback-contradicted-text = Abandonado enseguida: { $what }. El seguimiento continúa pidiendo la lista cada { $secs } s: la lista en pantalla sigue al día, un cambio aparece hasta { $secs } s más tarde.
banner-watch-stopped-text = { $why }. Seguir solo repetiría esta respuesta; cuando esté resuelto, w vuelve a seguir.
banner-run-keeps-refusal = { $why }. Esta ejecución ya no pregunta a la pasarela con este inicio de sesión, así que r y w obtienen de nuevo esta respuesta: cuando se arregle, o tras un nuevo `stepwise login`, salga con q y vuelva a iniciar stepwise.
banner-customer-idle = Nada pendiente para el cliente
banner-customer-idle-text = Todos los pasos están hechos.
banner-no-report-place = No hay sitio para el informe
banner-no-report-place-text = No hay carpeta de datos de usuario; use --report RUTA.
banner-report-written = Informe escrito
banner-note-kept = Nota guardada
banner-note-kept-text = Irá en el informe de sesión.
banner-note-kept-press-x-text = Irá al informe de la sesión, que escribe «x» (no se indicó --report): pulse «x» antes de salir. «q» con una nota sin escribir vuelve a preguntar, y un segundo «q» sale sin ella; una sesión terminada de otro modo (Ctrl-C, una ventana cerrada) lo escribe donde lo hace «x».
banner-note-token = Nota no guardada
banner-note-token-text = Contiene lo que parece un token de inicio de sesión, y un token nunca va en un informe. Pulse N y escriba la nota sin él.
banner-note-token-word-text = Contiene lo que parece un token de inicio de sesión (la palabra de { $len } caracteres que empieza por { $start }…), y un token nunca va en un informe. Pulse N: la nota vuelve tal como se escribió, para quitar esa palabra.
report-note-token-left-out = se omitió una nota que se estaba escribiendo cuando terminó el asistente: contenía lo que parece un token de inicio de sesión, y un token nunca va en un informe. Escríbala de nuevo sin el token
banner-note-unsaved = Nota sin guardar
banner-note-unsaved-text = Ningún informe contiene aún su nota (no se indicó --report). Pulse «x» para escribir el informe con ella, o de nuevo «q» para salir sin ella.
banner-note-unsaved-failed-text = Ningún informe contiene aún su nota: «x» no pudo escribirlo ({ $why }). Corríjalo y pulse «x»; o pulse «q» de nuevo para salir sin la nota.
banner-task-failed = La petición se detuvo por un error interno
banner-task-failed-text = stepwise no pudo terminarla ({ $why }). r para reintentar; si vuelve a ocurrir, envíe el archivo de registro a soporte.
banner-report-not-written = Informe no escrito
banner-report-not-written-text = No se puede escribir { $path }: { $why }. Compruebe que la carpeta existe y admite escritura.
banner-report-in-the-way-text = No se puede escribir { $path }: en { $file } hay un archivo donde debe haber una carpeta (la carpeta de informes o una superior). Mueva o renombre ese archivo y pulse «x» de nuevo.
banner-guide-opened = Enlace pasado al navegador
banner-no-browser = No se pudo abrir un navegador
banner-no-graphical-session = Aquí no hay sesión gráfica. Abra { $url } en otro dispositivo, o g para su código QR.
banner-no-graphical-session-local = Aquí no hay sesión gráfica, y { $url } solo existe en este equipo (loopback): tampoco otro dispositivo puede abrirla. Indique en --api una dirección de la pasarela accesible desde la red del taller y pulse «g» para su código QR.
banner-no-graphical-session-demo = No hay sesión gráfica aquí, y { $url } solo existe en esta máquina (backend de demo). Para teléfonos: ejecute `stepwise serve --addr 0.0.0.0:8080` y dé al asistente --api con la dirección que muestra serve; luego g muestra su código QR.
banner-browser-failed = { $why }. Abra { $url } a mano, o g para su código QR.
banner-step-done = { $count ->
   *[other] Hecho — { $steps }
}
banner-step-undone = { $count ->
   *[other] De nuevo pendiente — { $steps }
}
banner-step-undone-text = la última lista de la pasarela lo tiene de nuevo pendiente (un restablecimiento en otro lugar, una llave revocada o una pasarela que perdió su estado): el cliente lo hace de nuevo; la lista muestra lo que queda.
banner-steps-undone-text = la última lista de la pasarela los tiene de nuevo pendientes (un restablecimiento en otro lugar, una llave revocada o una pasarela que perdió su estado): el cliente los hace de nuevo; la lista muestra lo que queda.
banner-next-is = el siguiente paso es { $title }.
banner-all-done-ready = todo hecho, el servicio está listo.
banner-nothing-shown-left = en la lista mostrada no queda nada por hacer.
banner-reset-done = Caché de pasos reiniciada
banner-reset-done-text = Cada paso se evaluó de nuevo; la lista muestra el estado real.
banner-reset-refused-front = Restablecimiento rechazado
banner-reset-refused-front-text = Algo delante de la pasarela respondió al restablecimiento de la caché de pasos (resetSteps=true) con HTTP { $status } y sin cuerpo de error de la pasarela, mientras las listas llegan desde esta dirección: solo se rechaza la llamada de restablecimiento. La caché no se restableció, y la lista en pantalla sigue igual. Pregunte al operador de la pasarela, o a quien gestiona la red, si se deja pasar la llamada de restablecimiento.
banner-reset-unanswered = Restablecimiento enviado, sin respuesta
banner-reset-unanswered-text = la pasarela recibió el restablecimiento de la caché de pasos (resetSteps=true) pero no respondió en { $secs } s: puede que la caché ya esté restablecida, o no. Pulse r primero para ver la lista tal como está; restablezca de nuevo solo si aún muestra hechos pasos que el cliente no ha hecho.
banner-reset-gave-up-text = el restablecimiento de la caché de pasos (resetSteps=true) recibió HTTP { $status } de algo delante de la pasarela que dejó de esperarla: puede que la caché ya esté restablecida, o no. Pulse r primero para ver la lista tal como está; restablezca de nuevo solo si aún muestra hechos pasos que el cliente no ha hecho.
banner-no-longer-found = Ya no se encuentra
banner-no-longer-found-text = esta dirección respondió listas para este vehículo antes en esta sesión, y ahora responde 404 (no encontrado): el id y --api eran correctos, así que la pasarela, o un enrutador o proxy delante de ella, cambió (un reinicio, un despliegue, una ruta perdida). Pulse r en un momento para preguntar de nuevo; si persiste, avise al operador de la pasarela, con la hora.
banner-steps-id-changing = La pasarela cambia una y otra vez el stepsID de este vehículo
banner-steps-id-changing-text = se pidió la lista del stepsID { $asked } y respondió la lista del stepsID { $answered }, menos de un minuto después de empezar de nuevo por carAssociationID. El seguimiento se detuvo en vez de preguntar sin fin. Pulse r para preguntar de nuevo por carAssociationID; si sigue cambiando, avise al operador de la pasarela (o a quien gestione un proxy o caché intermedio).
banner-started-over = Vuelta a empezar
banner-started-over-text = { $why }; se ha vuelto a pedir por carAssociationID.
banner-refused-again = La pasarela rechaza el stepsID que acaba de dar
banner-refused-again-text = { $why }, otra vez, menos de un minuto después de volver a empezar por carAssociationID. Seguimiento detenido en vez de preguntar sin fin. Avise a quien gestiona la pasarela; r vuelve a preguntar una vez por carAssociationID.
why-other-device = El stepsID pertenecía a otro dispositivo
why-steps-id-unknown = La pasarela ya no conoce el stepsID
why-steps-id-changed = La pasarela respondió la lista de otro stepsID (uno nuevo para este vehículo, o respuestas mezcladas por el camino)
banner-gateway-next = Siguiente paso según la pasarela
banner-gateway-next-text = { $title } ({ $name }).
banner-gateway-next-hidden-text = { $title } ({ $name }), fuera de la lista mostrada; f cambia el filtro.
banner-filter-ignored = Filtrado aquí, no por la pasarela
banner-list-lost-steps = Lista sin pasos
banner-list-lost-steps-text = La lista de la pasarela para el stepsID { $id } ya no contiene { $steps }, que no estaban hechos: una lista nunca pierde los pasos que tenía (¿una lista filtrada dada como la completa?). No se toma, ni se dice que el vehículo está listo: la lista en pantalla es la última completa. Pulse r para volver a pedirla; si sigue así, avise a quien gestiona la pasarela
banner-nothing-left = Nada pendiente
banner-nothing-left-text = La pasarela respondió null: no queda ningún paso, el servicio está listo.
banner-next-list-older = La lista en pantalla es anterior a esta respuesta: se vuelve a pedir.
banner-next-disagrees = Las dos respuestas de la pasarela no coinciden
banner-next-disagrees-text = Su siguiente paso es { $said } (`{ $name }`), pero la lista pedida de nuevo ahora mismo sigue poniendo { $first } (`{ $first_name }`, estado “{ $status }”) primero, sin hacer: la lista no es antigua. Pregunte al operador de la pasarela cuál hace primero el cliente.
banner-answers-disagree = La pasarela se contradice
banner-answers-disagree-text = Su llamada del paso siguiente dijo que no queda nada, pero su lista, pedida de nuevo ahora mismo, aún tiene pasos por hacer (NEXT marca el primero). Siga la lista y avise al operador de la pasarela de que las dos llamadas no coinciden.

## The start screen
backend-demo = backend de demostración
demo-car-987654 = Ejemplo de la documentación: teléfono de confianza, dispositivo sin activar
demo-car-moved = Vehículo de demo, ahora { $done } de { $total } pasos hechos (demo --fresh vuelve a empezar)
demo-car-reset-done = Caché reiniciada en esta sesión: la lista ya dice la verdad
demo-fresh-done = Demo empezada de cero: cada vehículo de demo vuelve a estar donde dice su etiqueta.
demo-fresh-failed = no se puede empezar la demo de cero: su estado { $path } no se puede borrar ({ $error }). Borre ese archivo a mano y vuelva a empezar
launch-note-title = Nota
cli-ids-repeated = Indicado más de una vez, consultado una sola vez: { $ids }.
cli-ids-one-line = { $path } contiene una línea de { $values } valores en columnas: solo el primero se lee como carAssociationID (la primera columna de un archivo). Para consultar cada uno, ponga un id por línea.
cli-ids-rows-without-id = { $count ->
    [one] { $path }: la fila de la línea { $lines } no tiene carAssociationID en la columna de ids, así que se omite. Rellene su id para consultar ese vehículo.
   *[other] { $path }: las filas de las líneas { $lines } no tienen carAssociationID en la columna de ids, así que se omiten. Rellene sus ids para consultar esos vehículos.
    }
cli-ids-column-guessed = { $path }: su primera fila no nombra ninguna columna carAssociationID, así que los id se leyeron de la columna { $column } («{ $name }»), la única cuyos valores son todos id con un dígito. Si no son los id de los vehículos, titule su columna carAssociationID
demo-car-111111 = Cliente nuevo: nada hecho todavía
demo-car-222222 = Servicio listo: todos los pasos hechos
demo-car-333333 = Caché desfasada: la app muestra 2312/2317, solo un reinicio dice la verdad
demo-car-444444 = Solo Estado del vehículo: dos pasos

start-subtitle = pasos de activación del servicio
start-intro = Escriba el carAssociationID del cliente (de la suscripción a los servicios conectados) y pulse Intro.
start-replace-hint = Escribir reemplaza este id; ⌫ lo edita
start-refused = No aceptado: { $chars }. Un id solo lleva letras a–z, A–Z, cifras, - y _.
start-dropped-confirm = Omitidos: { $chars }. Enter de nuevo toma { $id } tal cual (¿otro vehículo?); si no, corríjalo.
start-too-long = Un id tiene como mucho { $max } caracteres; el resto se descartó.
start-not-an-id = Escriba un carAssociationID: letras a–z, A–Z, cifras, - o _.
start-excel-number = { $number } es un número largo tal como lo muestra Excel (notación científica), no un id: sus últimas cifras se han perdido. En Excel, dé a la columna formato Texto, vuelva a escribir el id y cópielo de ahí.
start-several-ids = Se pegaron { $count } líneas (¿una columna de identificadores?): el campo toma un identificador, así que no se tomó ninguno. Pegue o escriba uno; para un tablero con todos, salga e inicie con --cars ARCHIVO (un identificador por línea) o --car ID --car ID
board-add-several-ids = Se pegaron { $count } líneas (¿una columna de identificadores?): este campo añade un identificador cada vez, así que no se tomó ninguno. Pegue o escriba uno, Intro, y de nuevo a para el siguiente; los vehículos del tablero se quedan
start-label-left-out = Lo pegado empezaba con su etiqueta «{ $label }», que se dejó fuera: el campo contiene el id que sigue.
start-note-unsaved = Nota sin guardar: ningún informe la contiene aún (no se indicó --report). Abra un vehículo y pulse «x» para escribir el informe con ella, o pulse de nuevo «q» para salir sin ella.
start-choices = Ids recientes (↑↓ para elegir):
start-choices-demo = Ids recientes y asociaciones demo (↑↓ para elegir):
start-recent = reciente

## A window too small

too-small-title = Ventana demasiado pequeña
too-small-text = stepwise necesita { $min_w }×{ $min_h }; esta mide { $w }×{ $h }.
too-small-hint = Agrande la ventana (q sale).
too-small-note-unsaved = Su nota aún no está en ningún informe: agrande la ventana y pulse «x» para escribir el informe con ella, o de nuevo «q» para salir sin ella.

## Overlays

help-title = Ayuda (Esc cierra)
help-title-more = Ayuda (↓ Av Pág para más, Esc cierra)
help-section-start = Pantalla inicial
help-section-steps = Pantalla de pasos
help-section-message = El mensaje en pantalla, completo
help-section-everywhere = En todas partes
help-section-reset = Confirmar reinicio
help-section-explain = Explicación de códigos de error
help-section-qr = Código QR
help-section-help = Esta ayuda
help-section-badges = Etiquetas
help-legend-badges = [HECHO] hecho (alreadyDone)  [PEND.] pendiente (todo)  [????] estado desconocido
badge-done = HECHO
badge-todo = PEND.
badge-unknown = ????
help-legend-next = AHORA marca el paso que toca; los siguientes lo esperan.
reset-title = Reiniciar la caché de pasos
reset-question = ¿Reiniciar la caché de pasos de { $car }?
reset-when = Úselo cuando la app del cliente muestre el error 2312 o 2317, o cuando un paso figure hecho sin estarlo.
reset-what = Cada paso se evalúa de nuevo; los que de verdad están hechos siguen hechos.
explain-title = Explicar un código de error (Esc cierra)
explain-code = Código de error:
explain-prompt = Escriba el código que muestra la app del cliente, p. ej. 2312 o NOK:MAXNBTOOLS.
explain-known = Conocidos: { $codes }
explain-meaning = Significado:
explain-remedy = Qué hacer:
explain-limits = Límites:
explain-reset-cures = ✔ Reiniciar la caché de pasos lo arregla: cierre con Esc y pulse{" "}
explain-unknown = { $code } no es un código que esta herramienta conozca.
explain-unknown-hint = Revise lo escrito y busque el código en la lista de errores del fabricante; tras Esc, anótelo en una nota (N) para el informe de sesión.
qr-title-gateway = Escanee: la página del cliente ({ $lang }) (Esc cierra)
qr-title-dealer = Escanee: la página de ayuda del concesionario (Esc cierra)
qr-title-archive = Escanee: documentación para desarrolladores, archivada (Esc cierra)
qr-demo-local = Solo este equipo puede abrir esta página (backend de demo). Para teléfonos: ejecute `stepwise serve --addr 0.0.0.0:8080` y dé al asistente --api con la dirección que muestra serve.
qr-loopback = Esta dirección solo existe en este equipo (loopback): un teléfono no puede abrirla. Dé a --api la dirección que tiene la pasarela en la red del taller.
qr-too-small = La ventana es demasiado pequeña para el código QR; agrándela.

## Keys: a short word for the footer, a line for help
# The names of keys as the keyboards of this language print them.
key-name-esc = Esc
key-name-enter = Intro
key-name-space = Espacio
key-name-pgdn = Av Pág
key-name-pgup = Re Pág
key-name-ctrl-c = Ctrl-C
key-name-yes = s

key-short-quit = salir
key-short-open = abrir
key-short-pick = elegir
key-short-help = ayuda
key-short-type = escribir
key-short-erase = borrar
key-short-clear = vaciar
key-short-move = mover
key-short-more = más
key-short-refresh = actualizar
key-short-watch = seguir
key-short-act = actuar
key-short-next = siguiente
key-short-filter = filtrar
key-short-reset = reiniciar
key-short-explain = explicar
key-short-open-guide = abrir guía
key-short-qr = código QR
key-short-report = informe
key-short-back = volver
key-short-scroll = desplazar
key-short-page = página
key-short-close = cerrar
key-short-reset-now = reiniciar ya
key-short-cancel = cancelar
key-short-open-browser = abrir en navegador
key-short-guide-lang = idioma cliente
key-help-quit-now = salir en el acto
key-help-quit = salir
key-help-quit-empty = salir (con el campo vacío)
key-help-open = abrir los pasos de este carAssociationID
key-help-pick = elegir un id reciente o de demo
key-help-help = ayuda de todas las teclas
key-help-type-id = escribir el carAssociationID (letras a–z, A–Z, cifras, - y _)
key-help-erase = borrar el último carácter
key-help-clear = vaciar el campo
key-help-move = mover la selección
key-help-guide-down = desplazar las instrucciones hacia abajo
key-help-guide-up = desplazar las instrucciones hacia arriba
key-help-refresh = actualizar la lista por stepsID
key-help-watch = seguir: seguir cada cambio hasta que todo esté hecho
key-help-act = el cliente simulado hace el siguiente paso (demo)
key-help-next = pedir a la pasarela el siguiente paso
key-help-filter = filtrar por estado: todos, pendientes (todo), hechos (alreadyDone)
key-help-reset = reiniciar la caché de pasos (errores 2312/2317)
key-help-explain = explicar un código de error de la app
key-help-open-guide = abrir la guía del paso en un navegador
key-help-qr = mostrar el enlace de la guía como código QR
key-help-report = escribir el informe de sesión (Markdown)
key-help-back = volver a la pantalla inicial
key-help-back-board = volver al panel
key-short-note = nota
key-help-note = escribir una nota para el informe de sesión
key-help-save-note = guardar la nota para el informe
key-help-type-note = escribir la nota
help-section-note = La nota para el informe
key-help-scroll = desplazar la ayuda
key-help-page-down = una página abajo
key-help-page-up = una página arriba
key-help-close-help = cerrar la ayuda
key-help-reset-now = reiniciar ya la caché de pasos
key-help-cancel = cancelar
key-help-close-explain = cerrar la explicación
key-help-type-code = escribir el código: cifras, letras, : _ .
key-help-close-qr = cerrar el código QR
key-help-open-browser = abrir el enlace en un navegador
key-help-guide-lang = pasar las instrucciones del cliente al idioma siguiente

## The session report (Markdown)

report-title = Informe de sesión de stepwise
report-none = (ninguno)
report-backend = pasarela
report-end = estado final: { $done } de { $total } hechos
report-end-ready = estado final: { $done } de { $total } hechos, servicio listo
report-end-next = estado final: { $done } de { $total } hechos, siguiente: { $title } (`{ $name }`)
report-col-order = orden
report-col-step = paso
report-col-name = nombre
report-col-status = estado
report-events = Eventos
report-event-opened = abierto el carAssociationID { $car }
report-event-removed = quitado del tablero por el técnico
report-event-steps-id-changed = la pasarela respondió la lista de otro stepsID ({ $answered }); preguntado de nuevo por carAssociationID
report-event-list-next = lista (stepsID { $id }): { $done } de { $total } hechos, siguiente `{ $next }`
report-event-list-clear = lista (stepsID { $id }): { $done } de { $total } hechos, nada pendiente
report-event-list-empty = lista (stepsID { $id }): no se devolvió ningún paso, así que no se sabe si el servicio está listo
report-event-filtered = lista filtrada por estado «{ $status }»: { $shown ->
    [one] { $shown } paso mostrado
   *[other] { $shown } pasos mostrados
    }
report-event-reset = reinicio de la caché de pasos pedido (resetSteps=true); sigue la respuesta de la pasarela
report-event-next = siguiente paso según la pasarela: `{ $step }`
report-event-next-none = siguiente paso según la pasarela: ninguno (null)
report-event-simulated = el cliente simulado completó `{ $step }`
report-event-error = fallo: { $what }: { $detail }
report-event-started-over = { $status ->
    [404] la pasarela ya no conocía el stepsID (HTTP { $status }); empezado de nuevo con el carAssociationID
   *[other] la pasarela rechazó el stepsID (HTTP { $status }); empezado de nuevo con el carAssociationID
}
report-event-started-over-live = el flujo en directo de la pasarela rechazó el stepsID; se empezó de nuevo con el carAssociationID
report-events-left-out = { $n ->
    [one] { $n } evento omitido
   *[other] { $n } eventos omitidos
} (se conservan los { $first } primeros y los { $last } últimos)
report-vehicle-count = { $count ->
    [one] { $count } vehículo
   *[other] { $count } vehículos
}
report-empty = En esta sesión no ha pasado nada: no se abrió ningún vehículo ni se escribió ninguna nota.
report-ended-quit = Sesión terminada a las { $at }: el técnico salió.
report-ended-hangup = Sesión terminada a las { $at }: se cerró el terminal (SIGHUP), no salió el técnico.
report-ended-signal = Sesión terminada a las { $at }: detenida por { $signal }, no salió el técnico.
report-ended-terminal = Sesión terminada a las { $at }: el terminal desapareció durante la sesión, no salió el técnico.
report-notes = Notas y eventos de la sesión
report-event-note = nota: { $text }
report-event-signed-in = sesión iniciada desde el asistente (i); los vehículos rechazados por falta de token vuelven a preguntar
report-event-sign-in-failed = el inicio de sesión desde el asistente (i) falló: { $detail }
report-event-note-unfinished = nota (sin terminar: se estaba escribiendo cuando el asistente terminó): { $text }
report-event-explained = código { $code } explicado: { $meaning }
report-event-filter-chosen = filtro de estado elegido: { $status }
report-event-watch-on = seguimiento activado
report-event-watch-off = seguimiento desactivado
report-event-watch-stopped = el seguimiento se detuvo por sí solo: { $what } (preguntar de nuevo no cambiaría la respuesta)
report-event-guide-lang = las instrucciones del cliente pasaron a { $lang }
report-event-held = el HTTP 429 de la pasarela retuvo toda solicitud a ella durante { $secs } s (su Retry-After): no se pidió ninguna lista entretanto, y las mostradas envejecieron

## The plain output of steps and next

cli-none = ninguno
cli-list-head-car = carAssociationID { $car }, stepsID { $id } ({ $backend })
cli-list-head = stepsID { $id } ({ $backend })
cli-no-steps = No se devolvió ningún paso.
cli-no-steps-unknown = No se devolvió ningún paso: no se sabe si el servicio está listo. Si la app del cliente lo sigue rechazando, compruebe el carAssociationID o reinicie la caché de pasos (vuelva a ejecutarlo con --reset)
cli-summary-next = { $done } de { $total } hechos; siguiente: { $title }
cli-summary-clear = { $done } de { $total } hechos; nada pendiente
cli-interrupted-many = interrumpido: las listas de los { $count } vehículos se imprimen juntas, en el orden del archivo, cuando cada uno tiene respuesta o se alcanza la --deadline de { $secs } s, así que no se imprimió ninguna. Vuelva a ejecutarlo; una --deadline más corta limita la espera
cli-filtered = filtrado: { $shown ->
    [one] { $shown } paso con estado «{ $filter }» mostrado
   *[other] { $shown } pasos con estado «{ $filter }» mostrados
    }; quite --status para ver la lista entera
cli-filter-ignored = la pasarela no aplicó el filtro: { $other } de los { $total } pasos de arriba { $other ->
        [one] tiene
       *[other] tienen
    } el estado { $status }. Avise al operador de la pasarela: stepsStatus no se aplica
cli-filter-ignored-json = la pasarela no aplicó el filtro: { $other } de los { $total } pasos de su respuesta { $other ->
        [one] tiene
       *[other] tienen
    } el estado { $status }. Avise al operador de la pasarela: stepsStatus no se aplica
cli-no-steps-id = la lista de la pasarela no trae stepsID: `stepwise next` y los eventos en vivo no pueden preguntar por él, y la lista solo puede pedirse de nuevo por carAssociationID. Avise al operador de la pasarela: una lista trae su stepsID
cli-next-none = Nada pendiente: el servicio está listo.

## A failed gateway call: what happened, why, what to do

gw-unreachable = no se puede contactar con la pasarela en { $base }: { $detail }. Compruebe que funciona y que --api es correcto
gw-unresolved = no se puede contactar con la pasarela en { $base }: el DNS de este equipo no conoce el nombre { $host }. Revise el nombre de host en --api y los ajustes DNS de este equipo (¿la pasarela necesita una VPN?)
gw-timed-out = la pasarela en { $base } aceptó la conexión pero no respondió en { $secs } s: está ocupada o colgada. Reintente; si persiste, avise a quien gestiona la pasarela
gw-timed-out-proxy = ninguna respuesta en { $secs } s de la pasarela en { $base } a través del proxy { $proxy }: el proxy, o la pasarela detrás de él, no responde. Pregunte a quien gestiona el proxy si deja pasar las peticiones a { $host }, o defina NO_PROXY={ $host } si la pasarela es accesible sin el proxy; luego reintente
gw-too-large = la respuesta de la pasarela supera { $kib } KiB y no se leyó más: ninguna lista de pasos es tan grande, y preguntar de nuevo trae lo mismo. Si --api apunta a una pasarela de pasos (ya llegaron listas de ella), envía demasiado: avise al operador de la pasarela; si no, compruebe que --api apunta a una pasarela de pasos
gw-compressed = la respuesta de la pasarela{ $via } llegó comprimida ({ $encoding }), aunque stepwise pide las respuestas tal cual (Accept-Encoding: identity), y stepwise no la lee. La pasarela, o un proxy en el camino, comprime sin que se pida: avise a quien gestiona la pasarela (o el proxy)
gw-captive-portal = HTTP 511{ $via }: la red de este equipo pide antes un inicio de sesión (un portal cautivo, como en una Wi-Fi de invitados), así que la petición nunca llegó a la pasarela. Abra un navegador en este equipo, acepte la página de acceso de la red y vuelva a intentarlo; o use otra red
gw-scope-wanted = HTTP { $status }: la pasarela aceptó el token, pero dice que le falta el ámbito { $scope } (su WWW-Authenticate: insufficient_scope). Vuelva a iniciar sesión pidiéndolo (`stepwise login --scope "{ $ask }"`, o `scopes` en el archivo de configuración), o pida a quien da los tokens uno con ese ámbito
gw-scope-wanted-asked = HTTP { $status }: la pasarela aceptó el token del inicio de sesión guardado, pero dice que le falta el ámbito { $scope } (su WWW-Authenticate: insufficient_scope), aunque ese inicio de sesión pidió { $scope }: volver a iniciar sesión pide lo mismo. O el proveedor de identidad no concede { $scope } a stepwise (pregunte a su administrador), o la pasarela quiere otro ámbito u otra audiencia (pregunte al operador de la pasarela)
gw-scope-wanted-dropped = HTTP { $status }: la pasarela aceptó el token del inicio de sesión guardado, pero dice que le falta el ámbito { $scope } (su WWW-Authenticate: insufficient_scope): el inicio de sesión lo pidió, y la concesión del último token lo dejó fuera (concedido: { $granted }), como puede hacer una renovación. Vuelva a iniciar sesión (`stepwise login`; en el asistente, i); si las renovaciones lo siguen dejando fuera, avise al administrador del proveedor de identidad
gw-scope-wanted-unnamed = HTTP { $status }: la pasarela aceptó el token, pero dice que le falta un ámbito (su WWW-Authenticate: insufficient_scope, sin nombrarlo). Pregunte a quien gestiona la pasarela cuál, y vuelva a iniciar sesión con él (`stepwise login --scope …`)
gw-scope-wanted-given = HTTP { $status }: la pasarela aceptó el token (origen: { $from }), pero dice que le falta el ámbito { $scope } (su WWW-Authenticate: insufficient_scope). Un token dado ahí prevalece sobre cualquier inicio de sesión: ponga ahí uno que tenga este ámbito, o quítelo e inicie sesión con `stepwise login --scope "{ $ask }"`
gw-scope-wanted-given-unnamed = HTTP { $status }: la pasarela aceptó el token (origen: { $from }), pero dice que le falta un ámbito (su WWW-Authenticate: insufficient_scope, sin nombrarlo). Pregunte a quien gestiona la pasarela cuál, y ponga ahí un token que lo tenga, o quítelo e inicie sesión con `stepwise login --scope …`
gw-scope-wanted-none = HTTP { $status }: la pasarela quiere un token con el alcance { $scope }, y no se envió ninguno. Inicie sesión pidiéndolo (`stepwise login --scope "openid offline_access { $scope }"`, o `scopes` en el archivo de configuración), o dé un token que lo tenga con --token-file RUTA, STEPWISE_TOKEN o `token` en el archivo de configuración
gw-scope-wanted-none-unnamed = HTTP { $status }: la pasarela quiere un token con un alcance que no nombra, y no se envió ninguno. Pregunte al operador de la pasarela qué alcance quiere, luego inicie sesión pidiéndolo (`stepwise login --scope …`), o dé un token que lo tenga con --token-file RUTA, STEPWISE_TOKEN o `token` en el archivo de configuración
gw-scope-wanted-none-no-signin = HTTP { $status }: la pasarela quiere un token con el alcance { $scope }, y no se envió ninguno. No ofrece inicio de sesión: su token lo da quien la gestiona. Pídale un token que tenga este alcance, y guárdelo con `stepwise login --with-token`, o páselo con --token-file RUTA, STEPWISE_TOKEN o `token` en el archivo de configuración
gw-scope-wanted-none-no-signin-unnamed = HTTP { $status }: la pasarela quiere un token con un alcance que no nombra, y no se envió ninguno. No ofrece inicio de sesión: su token lo da quien la gestiona. Pídale un token con el alcance que quiere, y guárdelo con `stepwise login --with-token`, o páselo con --token-file RUTA, STEPWISE_TOKEN o `token` en el archivo de configuración
gw-scope-wanted-taken-no-signin = HTTP { $status }: la pasarela aceptó el token de { $from }, pero dice que le falta el alcance { $scope } (su WWW-Authenticate: insufficient_scope). No ofrece inicio de sesión: su token lo da quien la gestiona. Pídale uno que tenga este alcance, y páselo de la misma forma (uno guardado con `stepwise login --with-token`)
gw-scope-wanted-taken-no-signin-unnamed = HTTP { $status }: la pasarela aceptó el token de { $from }, pero dice que le falta un alcance que no nombra (su WWW-Authenticate: insufficient_scope). No ofrece inicio de sesión: su token lo da quien la gestiona. Pídale uno con el alcance que quiere, y páselo de la misma forma (uno guardado con `stepwise login --with-token`)
gw-bad-answer = la respuesta de la pasarela no sirve: { $why }. Si de este --api ya llegaron listas (de este vehículo o de otro), la pasarela, o algo delante de ella, respondió otra cosa a esta llamada: avise al operador de la pasarela; si no, compruebe que --api apunta a una pasarela de pasos
gw-bad-answer-page = la respuesta es una página web (HTML) donde va el JSON de la pasarela: algo delante de la pasarela (un cortafuegos, un portal o un proxy inverso) respondió, o --api apunta a un servidor web. Si de este --api ya llegaron listas, pregunte a quien gestiona la red qué es la página; si no, compruebe que --api apunta a una pasarela de pasos
gw-bad-answer-gateway = la respuesta de la pasarela no sirve: { $why }
gw-answer-cut = la respuesta de la pasarela se cortó ({ $why }). Reintente; si sigue cortada, la pasarela o algo en el camino (un proxy) corta sus respuestas: avise a quien gestiona la pasarela
answer-not-json = la respuesta no es JSON ({ $detail })
answer-html = la respuesta es una página HTML (de un servidor web, un portal o un proxy), no JSON
answer-empty = la respuesta está vacía, cuando se esperaba JSON de la pasarela (una lista de pasos, un paso o null)
answer-not-utf8 = la respuesta no es texto UTF-8 (otro juego de caracteres, como Latin-1), como debe ser el JSON
answer-gzip = la respuesta son datos comprimidos con gzip que no lo dicen (sin Content-Encoding): la pasarela, o un proxy en el camino, comprime sin que se pida; avise a quien gestiona la pasarela
answer-wrong-shape = la respuesta es JSON con otra forma que una lista de pasos ({ $detail })
answer-wrong-shape-step = la respuesta es JSON con otra forma que un paso ({ $detail })
answer-next-done = la respuesta del paso siguiente nombra { $step } pero lo marca hecho: se contradice, y no dice ni que no queda nada ni qué paso sigue. La lista de este stepsID dice qué pasos quedan; avise al operador de la pasarela
answer-bad-steps-id = la lista de la pasarela da un stepsID ({ $id }) que incumple la regla de ids del contrato (de 1 a 64 letras a–z, A–Z, dígitos, - o _), así que no se puede devolver para listas posteriores ni para el paso siguiente. Avise al operador de la pasarela; el id escrito no tiene la culpa
answer-error-body = la pasarela envió su cuerpo de error ({ $said }) con un estado de éxito (HTTP 2xx): rechazó la petición, aunque su estado diga otra cosa. Avise al operador de la pasarela
json-at = deja de ser JSON en la línea { $line }, columna { $column }
json-cut-at = termina antes de tiempo en la línea { $line }, columna { $column }: la respuesta se cortó
json-stops-at = termina en la línea { $line }, columna { $column }
json-kind-null = null
json-kind-boolean = un booleano
json-kind-number = un número
json-kind-string = una cadena de texto
json-kind-array = un array
shape-not-a-list = se esperaba un objeto de pasos; es { $kind }
shape-not-a-step = se esperaba un objeto de paso o null; es { $kind }
shape-no-steps = un objeto sin stepsID ni pasos; sus miembros son { $members }
shape-no-step = se esperaba un objeto de paso o null; es un objeto sin paso, cuyos miembros son { $members }
shape-live-without-id = la lista de un evento en directo no tiene stepsID, en un flujo que sigue varios
os-refused = se rechazó la conexión: nada escucha en esa dirección y puerto
os-reset = el otro lado cortó la conexión
os-network-unreachable = esta máquina no tiene ruta hacia esa red
os-host-unreachable = esta máquina no tiene ruta hacia ese host
os-network-down = la red de esta máquina está caída
os-timed-out = la conexión agotó el tiempo de espera
os-denied = esta máquina se negó a abrir la conexión (un cortafuegos o un ajuste de seguridad)
os-not-a-folder = hay un archivo donde debe haber una carpeta
os-read-only = el sistema de archivos es de solo lectura
os-file-denied = permiso denegado (este usuario no puede escribirlo, o está bloqueado)
os-no-file-here = no se puede crear ningún archivo en esa carpeta (una carpeta del sistema como /proc o /sys)
os-folder-gone = su carpeta { $folder } ya no existe: se eliminó mientras el asistente se ejecutaba, y no se vuelve a crear
os-folder-in-the-way = hay una carpeta donde debe haber un archivo
os-disk-full = el disco está lleno
os-addr-in-use = ese puerto ya está en uso (por un programa que escucha en él, o por una conexión recién cerrada que lo retiene un minuto)
os-addr-not-available = esta máquina no tiene esa dirección
net-closed-no-answer = el servidor cerró la conexión sin responder
net-bad-header = las cabeceras de la respuesta no son HTTP válido (un servidor averiado, o algo en el camino que cambia las respuestas)
net-bad-chunks = sus bloques (Transfer-Encoding: chunked) están rotos
net-head-broken = sus cabeceras están rotas
net-tls-eof = la conexión se cerró durante la negociación TLS
net-not-http = lo que respondió no es HTTP (otro servicio en ese puerto, o un servidor TLS donde la dirección dice http://)
net-cut-short = terminó antes de la longitud anunciada
net-stalled = empezó, luego se detuvo a medias, y no llegó nada más en el tiempo permitido
net-dns-unknown = el nombre no lo conoce el DNS de esta máquina
gw-transport = la petición a la pasarela falló: { $detail }. Vuelva a intentarlo; si persiste, compruebe la red
gw-answer-malformed = la respuesta de la pasarela llegó, pero no es HTTP válido: { $why }. Vuelva a intentarlo; si persiste, la pasarela o algo en el camino (un proxy) estropea sus respuestas: avise a quien gestiona la pasarela
gw-redirect-refused = la pasarela redirigió { $from } a { $to }, otro servidor o una conexión no segura; stepwise no sigue la redirección. Indique en --api la dirección propia de la pasarela
gw-redirect-same-server = la dirección de la pasarela redirigió { $from } a { $to }, una página del mismo servidor que no es una llamada de steps (una página de inicio de sesión o de portal, lo más probable); stepwise no la sigue ni envía allí el token. Una pasarela de steps responde a sus llamadas con JSON, no con una redirección: pida a quien gestiona ese servidor que deje pasar las llamadas de la pasarela, o dé a --api la dirección propia de la pasarela
gw-redirect-to-https = la pasarela en { $from } se trasladó a { $to } (https://); stepwise no sigue redirecciones. Use la dirección https:// en --api
gw-moved-away = la pasarela redirigió { $from } a { $to }, que respondió HTTP { $status } sin cuerpo de error de pasarela: --api llegó a la pasarela, y su redirección lleva a donde no responde ninguna pasarela de pasos. Avise a quien gestiona la pasarela; si los pasos se mudaron allí para siempre, pruebe --api con esa ruta
gw-foreign-list = se pidió la lista del stepsID { $asked } y la pasarela respondió la lista del stepsID { $answered }; no se muestra como la de este vehículo. Puede que la pasarela haya reiniciado este vehículo con un stepsID nuevo: pregunte por carAssociationID (`stepwise steps --car ID`); si persiste, un proxy o una caché entre aquí y la pasarela mezcla las respuestas
gw-foreign-next = se pidió el siguiente paso del stepsID { $asked } y la pasarela respondió uno del stepsID { $answered }; no se muestra como el de este vehículo. Puede que la pasarela haya reiniciado este vehículo con un stepsID nuevo: pregunte por carAssociationID (`stepwise steps --car ID`); si persiste, un proxy o una caché entre aquí y la pasarela mezcla las respuestas
gw-title-redirect = Redirección no seguida
gw-title-moved-away = Redirigido a nada
gw-live-cut = el flujo en tiempo real de la pasarela se cortó a mitad de un evento. Se reconecta solo; si se repite, revise los proxies entre este equipo y la pasarela
gw-live-not-offered = la pasarela responde ahora a la llamada de eventos como una sin eventos en tiempo real (HTTP 404 o 405, sin código 2346), aunque responde a las listas: puede haber vuelto de un reinicio sin ellos. Avise al operador de la pasarela si se espera el seguimiento en tiempo real
gw-live-cut-direct = la pasarela cortó su flujo en tiempo real a mitad de un evento (aquí no se usa ningún proxy). Se reconecta solo; si se repite, avise a quien gestiona la pasarela (o a quien gestiona un proxy inverso delante de ella)
gw-live-silent = el flujo en tiempo real de la pasarela no envió nada durante { $secs } s, ni siquiera una señal de mantenimiento. Se reconecta solo; si se repite, revise la red
gw-live-silent-no-keepalive = el flujo en tiempo real de la pasarela envió sus primeros eventos y luego nada durante { $secs } s, ni siquiera la señal de mantenimiento que el contrato pide al menos cada 15 s: la pasarela no envía señales de mantenimiento, o un proxy en el camino las retiene. Se reconecta solo, y un cambio puede mostrarse hasta { $secs } s tarde; avise a quien gestiona la pasarela
gw-live-no-first-event = el flujo en tiempo real de la pasarela se abrió pero no envió ninguna lista en { $secs } s (como mucho señales de mantenimiento), aunque las listas actuales llegan enseguida: quizá un proxy lo retiene. Se reconecta solo y luego consulta las listas en su lugar
gw-live-no-first-event-direct = el flujo en tiempo real de la pasarela se abrió pero no envió ninguna lista en { $secs } s (como mucho señales de mantenimiento), aunque las listas actuales llegan enseguida; aquí no se usa ningún proxy, así que la pasarela, o un proxy inverso delante de ella, las retiene. Se reconecta solo y luego consulta las listas en su lugar; avise a quien gestiona la pasarela
gw-live-other-events = el flujo en directo de la pasarela envió eventos de tipo «{ $kind }» y ninguno de tipo steps en { $secs } s: sus listas llegan con otro tipo de evento que el del contrato, así que no se lee ninguna. Se reconecta por sí solo y luego consulta las listas en su lugar; avise a quien gestiona la pasarela de que cada lista debe llegar como `event: steps` (o sin línea event)
gw-live-no-list-events = el flujo en directo de la pasarela solo envió eventos de tipo «{ $kind }», sin lista dentro, y ninguna lista en { $secs } s, aunque las listas actuales llegan de inmediato. Se reconecta por sí solo y luego consulta las listas en su lugar; si esto continúa, avise a quien gestiona la pasarela de que el flujo debe enviar cada lista de inmediato, como `event: steps`
gw-live-not-text = el flujo en tiempo real de la pasarela no es texto UTF-8. Compruebe que --api apunta a una pasarela de pasos
gw-live-bad-line = el flujo en tiempo real de la pasarela tiene una línea que no es un campo de evento. Compruebe que --api apunta a una pasarela de pasos
gw-live-lists = el estado en tiempo real sigue de 1 a 200 listas a la vez, no { $count }
gw-live-said = el flujo en directo de la pasarela envió un error: { $said }. Se reconecta solo; si se repite, avise al operador de la pasarela
gw-live-said-cause = el flujo en directo de la pasarela envió un error: { $said }
gw-live-said-no-step = el flujo en directo de la pasarela dice que este stepsID ya no tiene pasos: { $said }. Empiece de nuevo con el carAssociationID (el asistente lo hace solo)
gw-live-contradicted = el flujo en directo de la pasarela para { $count } listas dijo que un stepsID ya no tiene pasos ({ $said }), y sin embargo cada una de esas listas responde cuando se pide por su stepsID: la pasarela se contradice, y no se sabe a qué vehículo se refería. stepwise las sigue consultando desde ahora; avise al operador de la pasarela
gw-live-contradicted-one = el flujo en directo de la pasarela dijo que este stepsID ya no tiene pasos ({ $said }), y sin embargo su lista responde cuando se pide por ese stepsID: la pasarela se contradice. stepwise sigue la lista consultando desde ahora; avise al operador de la pasarela
gw-live-contradicted-unsent = { $count ->
    [one] El flujo no había enviado ninguna lista del stepsID { $ids }: quizá el que quería decir
   *[other] El flujo no había enviado ninguna lista de los stepsID { $ids }: quizá se refería a uno de ellos
}
gw-live-left-out = el flujo en tiempo real de la pasarela envió enseguida las listas actuales de { $sent } de sus { $lists } stepsIDs, pero no { $count ->
        [one] la del stepsID { $ids }, que también debe
       *[other] las de los stepsIDs { $ids }, que también debe
    }: un vehículo omitido nunca se seguiría. En su lugar se piden las listas; avise a quien gestiona la pasarela
gw-live-refused = la pasarela rechaza su flujo en tiempo real pero responde a las listas ({ $why }). En su lugar se piden las listas
gw-live-refused-401-none = la pasarela rechaza su flujo en tiempo real sin token (HTTP 401) pero responde a las listas sin uno: `stepwise login` no encuentra ninguno necesario, así que ningún inicio de sesión lo cambia. En su lugar se piden las listas; avise al operador de la pasarela si se espera el seguimiento en directo
gw-live-refused-401-sent = la pasarela rechaza para su flujo en tiempo real el token que sus listas aceptan (HTTP 401): un nuevo inicio de sesión da uno igual, así que no cambia nada. En su lugar se piden las listas; avise al operador de la pasarela si se espera el seguimiento en directo
gw-live-closed-soon = el flujo en tiempo real de la pasarela se cerró poco después de enviar sus listas, { $times } veces seguidas (cada vez en menos de un minuto): no mantiene ningún flujo abierto, así que un cambio se mostraría tarde. En su lugar se piden las listas; avise a quien gestiona la pasarela
gw-live-page = la llamada de eventos de la pasarela respondió con una página web (HTML) donde va su flujo de eventos: algo delante de la pasarela (un proxy, un cortafuegos) puede estar bloqueando los flujos. Se piden las listas en su lugar; pida a quien gestiona la red delante de la pasarela que deje pasar text/event-stream, y si no hay nada delante, avise al operador de la pasarela
gw-live-page-titled = la llamada de eventos de la pasarela respondió con una página web (HTML, «{ $said }») donde va su flujo de eventos: algo delante de la pasarela (un proxy, un cortafuegos) puede estar bloqueando los flujos. Se piden las listas en su lugar; pida a quien gestiona la red delante de la pasarela que deje pasar text/event-stream, y si no hay nada delante, avise al operador de la pasarela
gw-live-compressed = el flujo en directo de la pasarela llegó comprimido ({ $encoding }), aunque stepwise no lo pide, así que sus bytes no son eventos: la pasarela, o un proxy en el camino, lo comprime. Se piden las listas en su lugar; pida al operador de la pasarela (o a quien gestiona el proxy) que envíe text/event-stream sin comprimir
gw-live-foreign = el flujo en directo de la pasarela envió una lista del stepsID { $answered }, que no se le pidió, mientras { $count ->
    [one] la lista pedida responde
   *[other] las { $count } listas pedidas responden
} cuando se piden por stepsID, así que la lista en pantalla se dejó como está: avise al operador de la pasarela (o a quien gestione un proxy o una caché intermedios)
gw-user-info = la URL de la pasarela lleva un usuario o una contraseña (user:password@host), que stepwise ni muestra ni envía. Quítelos de la URL; el token de la pasarela va en --token-file, STEPWISE_TOKEN o el archivo de configuración
gw-bad-url = la URL de la pasarela { $url } no sirve: { $reason }. Indique una como http://127.0.0.1:8080
url-no-host = no tiene host
url-bad-port = su puerto no es un número de 1 a 65535
url-bad-ip = su dirección IP no es válida (una dirección IPv6 va entre corchetes, p. ej. http://[::1]:8080)
url-ipv6-brackets = su dirección IPv6 no está entre corchetes, así que no se distingue su puerto: escríbala como http://[::1]:8080
url-port-twice = su puerto está escrito más de una vez (un segundo :número tras el host): indíquelo una sola vez
url-query = contiene una consulta (?…), que stepwise nunca envía: indique la URL base de la pasarela sin ella (un token va en --token-file, STEPWISE_TOKEN o `stepwise login`)
url-ipv6-zone = su dirección IPv6 lleva una zona (%eth0), que el host de una URL no puede llevar aquí: indique la dirección global de la pasarela o un nombre de host
url-ipv6-unclosed = su dirección IPv6 abre un corchete [ que ningún ] cierra: escríbala como http://[::1]:8080
url-bad-host = su nombre de host tiene un carácter que ningún nombre de host puede tener (¿un espacio?)
url-not-absolute = no es una URL completa
url-not-http = solo se aceptan http:// y https://
gw-bad-path = no se puede construir la URL de { $path }: { $detail }
gw-bad-token = el token tiene caracteres que una cabecera no admite; revise el archivo del token
gw-http-setup = no se puede preparar el cliente HTTP: { $detail }
gw-demo-unavailable = no se puede iniciar el simulador integrado en un puerto local: { $detail }
gw-demo-state = el simulador integrado no puede guardar su estado en { $folder }: { $detail }. Debe ser una carpeta donde este usuario pueda escribir: corrija o quite lo que estorba, o dé una pasarela a --api
gw-demo-state-file = el simulador integrado no puede guardar su estado en { $file }: { $detail }. Ese archivo y su carpeta deben poder ser escritos por este usuario (sin disco lleno, sin archivo de solo lectura o bloqueado): corrija eso, o dé a --api una pasarela. Ninguna pasarela tiene la culpa: no hay ninguna
gw-400 = la pasarela rechazó la petición por estar mal formada
gw-400-todo = Revise el id escrito; si es correcto, informe del fallo
gw-400-said-todo = Sus palabras dicen qué rechazó (el id se comprobó antes de enviarlo). Si nombran una cabecera o un parámetro, algo en el camino (un proxy) puede cambiar las peticiones: avise a quien gestiona la red; si no, informe del fallo
gw-400-filter-todo = Sus palabras nombran el filtro de estado (stepsStatus): esta pasarela no lo acepta. Liste sin él (sin --status; en el asistente, f hasta que el filtro sea todos), y avise al operador de la pasarela si lo necesita
gw-400-filter-unchosen-todo = Sus palabras nombran el filtro de estado (stepsStatus), aunque no se eligió ninguno: stepwise pide todos los pasos (stepsStatus=all, el valor por defecto del contrato, y luego sin stepsStatus), y nada que se elija aquí lo cambia. Avise al operador de la pasarela de que esta llamada se rechaza
gw-400-id-todo = Sus palabras nombran el id: la pasarela no acepta el dado (su regla para los id puede ser más estricta que letras a–z, A–Z, dígitos, - y _). Compruebe el id con la cuenta del cliente
gw-400-coded = la pasarela rechazó la petición con un código de la app
gw-400-coded-todo = A continuación, qué significa el código y qué lo resuelve
gw-401 = la pasarela pide un token válido
gw-401-todo = Inicie sesión con `stepwise login`, o indique un token con --token-file RUTA, STEPWISE_TOKEN o `token` en el archivo de configuración
gw-403 = este stepsID pertenece a otro dispositivo
gw-403-todo = Empiece de nuevo con el carAssociationID
gw-403-refused = la pasarela rechaza esta petición
gw-403-refused-todo = Sus palabras dicen por qué (una cuenta o un vehículo que no admite); compruebe el carAssociationID con la cuenta del cliente, o pregunte a quien gestiona la pasarela
gw-404 = la pasarela no conoce este id
gw-404-todo = Revise el carAssociationID o el stepsID y vuelva a intentarlo
gw-404-steps-id = la pasarela no tiene ningún paso para este stepsID: no lo conoce, o lo ha olvidado
gw-404-steps-id-todo = Pida de nuevo la lista por carAssociationID (`stepwise steps --car ID`): da el stepsID actual del vehículo
gw-404-unnamed = no se encontró nada para esta llamada en esta dirección: un id que la pasarela no conoce, o una ruta que allí nada sirve
gw-404-unnamed-todo = Revise el carAssociationID o el stepsID; si todos los ids reciben esta respuesta, --api no apunta a la pasarela de pasos (el 404 propio de un enrutador): revise --api
gw-404-call = la pasarela rechazó la llamada del paso siguiente, sin el código 2346 (su marca de un stepsID que no conoce)
gw-call-not-served = la pasarela no atiende la llamada del paso siguiente (un método o una llamada que no ofrece), sea cual sea el stepsID
gw-404-call-todo = Si `stepwise steps --steps-id ID` muestra los pasos de este vehículo, el id es correcto y la pasarela no ofrece la llamada del paso siguiente, o algo delante de ella no la encamina: avise al operador de la pasarela. Esa lista también muestra el paso siguiente (marcado NEXT)
gw-404-no-steps = la pasarela no tiene pasos para este carAssociationID
gw-404-no-steps-todo = Revise el carAssociationID; si es correcto, este vehículo no tiene pasos de activación de servicios en esta pasarela: pregunte el motivo a quien la gestiona
gw-409 = la pasarela se niega: un paso anterior no está hecho
gw-409-todo = Complete antes los pasos anteriores
gw-429 = la pasarela está limitando las peticiones
gw-408 = la pasarela, o algo delante de ella, dejó de esperar la petición completa (una conexión lenta o rota), lo que no es un rechazo
gw-408-todo = Vuelva a intentarlo; si persiste, avise al operador de la pasarela (o a quien gestiona la red delante de ella)
gw-429-todo = Espere un minuto y vuelva a intentarlo
gw-429-todo-past = Sigue limitando tras la espera que pedía su Retry-After (stepwise esperó y volvió a preguntar): espere un minuto y vuelva a intentarlo; si continúa, avise a quien gestiona la pasarela
gw-429-todo-after = Espere { $secs } s (el Retry-After de la respuesta) y vuelva a intentarlo
gw-429-todo-absurd = Pide esperar { $wait } (su Retry-After), algo que ningún límite de peticiones necesita: su reloj o su ajuste está mal. Avise al operador de la pasarela
gw-5xx = la pasarela falló
gw-proxy-5xx = el proxy respondió con su propia página de error (puede que no se alcanzara la pasarela)
gw-5xx-todo = Vuelva a intentarlo en un minuto; si persiste, avise a quien gestiona la pasarela
gw-5xx-todo-after = Vuelva a intentarlo en { $secs } s (el Retry-After de la respuesta); si persiste, avise a quien gestiona la pasarela
gw-5xx-todo-absurd = Pide esperar { $wait } (su Retry-After), algo que ningún reinicio necesita: su reloj o su ajuste está mal. Reintente en un minuto; si persiste, avise al operador de la pasarela
gw-other = la pasarela rechazó la petición
gw-3xx = no volvió ninguna lista: una redirección sin dirección utilizable, o un "no modificado" de una caché a una petición que no lo pedía
gw-3xx-todo = Algo entre aquí y la pasarela (un proxy, una caché), o la pasarela, está mal configurado: revise --api, y avise a quien gestiona la red o la pasarela
gw-other-todo = Revise --api y vuelva a intentarlo
gw-other-said-todo = Sus palabras dicen por qué; si no ayudan, avise a quien gestiona la pasarela
gw-reset-refused = la pasarela rechazó el reinicio de la caché de pasos
gw-reset-refused-todo = Reiniciar otra vez no servirá. Sus palabras dicen por qué: si dicen que la cuenta o el dispositivo está bloqueado, elimine todos los registros de la cuenta del cliente y empiece de nuevo; si no, avise a quien gestiona la pasarela
gw-reset-refused-conflict-todo = Un conflicto (HTTP 409) puede significar que ya hay un restablecimiento o un cambio en curso para este vehículo: espere un momento y vuelva a restablecer; si persiste, avise al operador de la pasarela
gw-reset-refused-call-todo = HTTP { $status } no dice que la cuenta o el dispositivo estén bloqueados: la pasarela, o algo delante de ella, no aceptó la llamada tal como se envió. Compruebe --api; si es correcto, avise al operador de la pasarela, con sus palabras
gw-app-code = Código de la app { $code }: { $meaning }; { $remedy }
gw-app-code-meaning = Código de la app { $code }: { $meaning }.
gw-code = código { $code }
gw-title-redirects = Bucle de redirecciones
steps-many-summary-late = sin lista en { $secs } s (sin respuesta, o aún no consultado: stderr dice cuál): { $n } ({ $ids })
steps-many-summary-failed = fallidos: { $n } ({ $ids }), las causas están en stderr
steps-many-summary = Vehículos listados: { $listed } de { $total }
cli-shared-steps-id = un mismo stepsID ({ $id }) llegó para { $count } vehículos ({ $cars }). Un stepsID pertenece a un solo vehículo: un proxy o una caché entre aquí y la pasarela (que ignora la consulta), o la propia pasarela, mezcla las respuestas, así que estas listas pueden ser de otro vehículo. No se fíe de ellas; avise al operador de la pasarela (y al administrador de la red, donde haya un proxy configurado)
steps-many-late = sin respuesta dentro del plazo de { $secs } s (--deadline); puede que responda en una ejecución posterior
steps-many-unsent = no consultado antes del plazo de { $secs } s (--deadline): esperaba su turno, ya que los vehículos se consultan unos pocos a la vez (--concurrency). Indique un --deadline más largo o un --concurrency más alto
steps-many-unsent-hung = no consultado antes del plazo de { $secs } s (--deadline): los vehículos consultados antes no recibieron respuesta (la pasarela está ocupada o colgada), así que un --deadline más largo o un --concurrency más alto solo envía más solicitudes a la misma espera. Vuelva a ejecutarlo cuando la pasarela responda (`stepwise doctor` lo comprueba); si sigue así, avise a quien gestiona la pasarela
steps-many-limited = la pasarela siguió limitando las peticiones (HTTP 429) hasta el plazo de { $secs } s (--deadline): respondió, pero pidió esperar. Si la espera pedida (dicha en stderr) supera { $secs } s, dé un --deadline más largo que esa espera; si no, sigue limitando a este cliente: reintente más tarde, o pregunte al operador de la pasarela por su límite
steps-many-limited-longer = la pasarela limitó las peticiones (HTTP 429) hasta el plazo de { $secs } s (--deadline): pidió esperar { $wait } s, más que el plazo. Dé un --deadline por encima de { $wait } s, o vuelva a ejecutarlo tras esa espera
steps-many-limited-again = la pasarela siguió limitando las peticiones (HTTP 429) hasta el plazo de { $secs } s (--deadline): tras los { $wait } s de espera que pidió, volvió a limitarlas. Sigue limitando a este cliente: reintente más tarde, o pregunte al operador de la pasarela por su límite
steps-many-held-unsent = no consultado: el límite de la pasarela (HTTP 429, respondido a otra petición) retuvo cada petición hasta el plazo de { $secs } s (--deadline). Si la espera pedida (dicha en stderr) supera { $secs } s, indique un --deadline más largo que esa espera; si no, sigue limitando a este cliente: reintente más tarde, o pregunte al operador de la pasarela por su límite
steps-many-retry-held = Su reintento quedó luego retenido por el límite de la pasarela (HTTP 429, pedido a otra petición) hasta el plazo de { $secs } s (--deadline).
steps-many-paused = El límite de la pasarela (HTTP 429, pedido a otra petición) retiene toda petición { $secs } s más: reintente después.
steps-many-summary-limited = retenidos por HTTP 429 hasta { $secs } s: { $n } ({ $ids })
steps-many-summary-shared = bajo un stepsID con el que también llegó la lista de otro vehículo, no fiables (stderr dice por qué): { $n } ({ $ids })
gw-title-token-refused = Token rechazado
gw-title-scope = Falta un ámbito
gw-title-proxy = Respuesta del proxy
gw-title-proxy-unreachable = Proxy inalcanzable
gw-title-not-a-gateway = No es una pasarela de pasos
gw-title-no-list-here = Sin lista para este id
gw-title-call-not-offered = Llamada no ofrecida
gw-title-refused = Acceso denegado
gw-title-captive-portal = Hace falta iniciar sesión en la red
gw-connect-timed-out = ninguna conexión con { $base } en { $secs } s: nadie la aceptó (el servidor está saturado, o un cortafuegos descarta los paquetes). Revise la red y --api, y vuelva a intentarlo
gw-redirects = la pasarela en { $base } redirige en bucle, o demasiadas veces. Revise --api (la dirección puede haber cambiado); si es correcta, avise a quien gestiona la pasarela
gw-wants-tls = el servidor en { $base } habla TLS, pero --api dice http://. Use https:// en --api
gw-port-plain-http = el servidor en { $base } habla HTTP simple, no TLS, pero --api dice https://. Use http:// en --api, o el puerto donde sirve HTTPS
gw-port-not-http = el servidor en { $base } no habla ni HTTP ni TLS (empezó con «{ $said }»): el puerto de --api es de otro servicio. Revise el puerto
gw-port-not-http-here = el servidor en { $base } respondió a esta petición con algo que no es ni HTTP ni TLS: un servidor averiado, o no es la pasarela. Revise --api
gw-port-tls-closed = el servidor en { $base } aceptó la conexión y la cerró durante la negociación TLS: quizá no habla TLS en este puerto, o rechaza este cliente. Revise el puerto de --api; `stepwise doctor` dice más
gw-port-tls-silent = el servidor en { $base } aceptó la conexión pero no hizo ninguna negociación TLS en { $secs } s: quizá el puerto no habla TLS, o el servidor está colgado. Revise el puerto de --api; si es correcto, avise a quien gestiona la pasarela
gw-401-login = HTTP 401: la pasarela rechazó el token de la sesión guardada por `stepwise login`. Vuelva a iniciar sesión con `stepwise login`; en una pasarela de token fijo, guarde el actual con `stepwise login --with-token`
gw-token-dropped = HTTP 401: la pasarela responde como si no le hubiera llegado ningún token (su desafío no nombra ningún error), aunque el token de { $from } salió por el proxy { $proxy }: puede que el proxy quite la cabecera Authorization, así que cualquier token se rechazaría igual. Defina NO_PROXY={ $host } si la pasarela es accesible sin el proxy, o pida a quien gestiona el proxy que deje pasar la cabecera Authorization
gw-401-login-expired = HTTP 401: el token de la sesión guardada por `stepwise login` caducó hace { $ago }, y el proveedor de identidad no dio ningún token de actualización para renovarlo: por eso la pasarela lo rechaza. Vuelva a iniciar sesión con `stepwise login`
gw-401-login-no-signin = HTTP 401: la pasarela rechazó el token guardado con `stepwise login --with-token`. No ofrece inicio de sesión: su token lo da quien la gestiona. Pídale el token actual y guárdelo con `stepwise login --with-token`
gw-401-config = HTTP 401: la pasarela rechazó el token del archivo de configuración (`token` o `token_file`). Ponga allí el token actual de esta pasarela, o quítelo e inicie sesión con `stepwise login`
gw-401-environment = HTTP 401: la pasarela rechazó el token de STEPWISE_TOKEN. Asígnele el token actual de esta pasarela, o elimínela e inicie sesión con `stepwise login`
gw-401-environment-login-kept = HTTP 401: la pasarela rechazó el token de STEPWISE_TOKEN, que tiene prioridad sobre la sesión guardada para esta pasarela. Elimine STEPWISE_TOKEN para usar esa sesión (la pasarela acaba de aceptarla), o asígnele el token actual de esta pasarela
gw-401-environment-login-refused = HTTP 401: la pasarela rechazó el token de STEPWISE_TOKEN, y también la sesión guardada para esta pasarela (probada ahora mismo). Asigne a STEPWISE_TOKEN el token actual de esta pasarela; la sesión guardada también necesita renovarse (`stepwise login`, o `stepwise login --with-token` si la pasarela no ofrece inicio de sesión)
gw-401-token-file = HTTP 401: la pasarela rechazó el token de --token-file. Ponga en ese archivo el token actual de esta pasarela, o quite --token-file e inicie sesión con `stepwise login`
gw-401-token-file-login-kept = HTTP 401: la pasarela rechazó el token de --token-file, que tiene prioridad sobre la sesión guardada para esta pasarela. Quite --token-file para usar esa sesión (la pasarela acaba de aceptarla), o ponga en ese archivo el token actual de esta pasarela
gw-401-token-file-login-refused = HTTP 401: la pasarela rechazó el token de --token-file, y también la sesión guardada para esta pasarela (probada ahora mismo). Ponga en ese archivo el token actual de esta pasarela; la sesión guardada también necesita renovarse (`stepwise login`, o `stepwise login --with-token` si la pasarela no ofrece inicio de sesión)
gw-401-none = HTTP 401: la pasarela pide un token, y no se envió ninguno. Inicie sesión con `stepwise login`, o indique un token con --token-file RUTA, STEPWISE_TOKEN o `token` en el archivo de configuración
gw-401-expired = El token caducó hace { $ago }, según la caducidad escrita en él: por eso se rechaza
gw-401-said = La pasarela dice: «{ $said }»
gw-401-none-no-signin = HTTP 401: la pasarela quiere un token y no se envió ninguno. No ofrece inicio de sesión: su token lo da quien la gestiona. Guarde ese token con `stepwise login --with-token`, o páselo con --token-file RUTA, STEPWISE_TOKEN o `token` en el archivo de configuración
gw-404-demo = HTTP 404: el backend de demostración no conoce este id{ $said }. No hay ninguna pasarela configurada (ni --api, ni STEPWISE_API, ni `api` en el archivo de configuración), así que respondió la demo integrada, que solo conoce { $ids }. Para preguntar a su pasarela, indique --api URL
gw-404-demo-steps-id = HTTP 404: el backend de demostración no conoce este stepsID{ $said }. No hay ninguna pasarela configurada (ni --api, ni STEPWISE_API, ni `api` en el archivo de configuración), así que respondió la demo integrada. Sus stepsID llegan con una lista pedida por carAssociationID (conoce { $ids }): `stepwise steps --car ID` da uno. Para preguntar a su pasarela, indique --api URL
gw-404-demo-wizard = HTTP 404: el backend de demostración no conoce este id{ $said }. No hay ninguna pasarela configurada (ni --api, ni STEPWISE_API, ni `api` en el archivo de configuración), así que respondió la demo integrada; la pantalla de inicio ofrece los id que conoce. Para preguntar a su pasarela, salga y vuelva a empezar con --api URL
gw-404-demo-board = HTTP 404: el backend de demostración no conoce este id{ $said }. No hay ninguna pasarela configurada (ni --api, ni STEPWISE_API, ni `api` en el archivo de configuración), así que respondió la demo integrada, que solo conoce sus propios vehículos (`stepwise demo --board` abre un tablero con todos). Para preguntar a su pasarela, salga y vuelva a empezar con --api URL
gw-404-demo-command = HTTP 404: el backend de demostración no conoce este id{ $said }. `stepwise demo` siempre funciona con la demostración integrada, que solo conoce sus propios ids (los que ofrece). Para preguntar a su pasarela, salga y ejecute `stepwise --api URL --car ID`, o `stepwise fleet --api URL --cars ARCHIVO` para un tablero
gw-401-login-unreadable = HTTP 401: la pasarela pide un token, y no se envió ninguno: los inicios de sesión guardados por `stepwise login` no se pudieron leer: { $why }. O indique un token con --token-file RUTA, STEPWISE_TOKEN o `token` en el archivo de configuración
gw-401-login-damaged = HTTP 401: la pasarela pide un token, y no se envió ninguno: { $why }, y luego ejecute `stepwise login` para volver a iniciar sesión. O indique un token con --token-file RUTA, STEPWISE_TOKEN o `token` en el archivo de configuración
gw-401-config-no-signin = HTTP 401: la pasarela rechazó el token del archivo de configuración (`token` o `token_file`). No ofrece inicio de sesión: su token lo da quien la gestiona. Ponga allí el token actual de esta pasarela
gw-401-environment-no-signin = HTTP 401: la pasarela rechazó el token de STEPWISE_TOKEN. No ofrece inicio de sesión: su token lo da quien la gestiona. Ponga en STEPWISE_TOKEN el token actual de esta pasarela
gw-401-token-file-no-signin = HTTP 401: la pasarela rechazó el token de --token-file. No ofrece inicio de sesión: su token lo da quien la gestiona. Ponga en ese archivo el token actual de esta pasarela
gw-proxy-other-todo = Revise { $from } (la variable del proxy en uso), defina NO_PROXY para el host de la pasarela si se puede llegar sin el proxy, o pregunte a quien gestiona el proxy
gw-proxy-429-todo = El proxy está limitando las peticiones: espere unos minutos (su Retry-After, si dio uno) y reintente; si continúa, pregunte a quien gestiona el proxy
gw-proxy-429-wait-todo = El proxy limita las solicitudes y pide esperar { $secs } s: reintente después; si sigue así, pregunte a quien gestiona el proxy
gw-proxy-unset-407 = un proxy de esta red respondió él mismo HTTP { $status }{ $said }, aunque aquí no hay ninguno configurado, así que la petición nunca llegó a la pasarela. Configure HTTPS_PROXY (HTTP_PROXY para una pasarela http://) como http://usuario:contraseña@proxy:puerto con la dirección de ese proxy, o consulte al administrador de la red
gw-proxy-unreachable = no se puede conectar con el proxy { $proxy } (de { $from }): { $detail }. No se llegó a preguntar a la pasarela. Revise la variable del proxy, o ponga NO_PROXY={ $host } si la pasarela se alcanza sin el proxy
gw-proxy-silent = el proxy { $proxy } (de { $from }) no abrió ningún camino hacia { $host } en { $secs } s: no aceptó la conexión, o la aceptó y nunca respondió. No se consultó a la pasarela. Compruebe que el proxy funciona y que la variable del proxy lo indica, pregunte a quien gestiona el proxy, o defina NO_PROXY={ $host } si la pasarela es accesible sin el proxy
gw-proxy-tunnel = el proxy { $proxy } (de { $from }) no abrió un túnel (CONNECT) hacia { $host }: la petición nunca llegó a la pasarela; rechaza este host y este puerto, o no pudo alcanzar la pasarela (caída, o un nombre que el proxy no conoce). Compruebe que la pasarela funciona y que el host de --api es correcto, pregunte a quien gestiona el proxy si deja pasar este host y este puerto, o ponga NO_PROXY={ $host } si la pasarela se alcanza sin el proxy
gw-proxy-no-tunnel = lo que indica { $from }, { $proxy }, respondió HTTP { $status } a CONNECT: no abre ningún túnel, así que es un servidor web, o un proxy que no puede llevar https://. No se consultó a la pasarela. Revise { $from }: debe indicar un proxy HTTP que haga túnel de https (a menudo puerto 3128 u 8080)
gw-proxy-tunnel-closed = el proxy { $proxy } (de { $from }) abrió un túnel hacia { $host } y luego se cerró durante la negociación TLS: el proxy, o lo que hay detrás, lo cortó. Pregunte a quien gestiona el proxy si deja pasar TLS hacia este host, o defina NO_PROXY={ $host } si la pasarela se alcanza sin el proxy
tls-or-plain-http = O la pasarela del otro extremo habla HTTP simple en ese puerto, mientras --api dice https://: entonces use http:// en --api (`stepwise doctor` sin el proxy, NO_PROXY={ $host }, dice cuál)
gw-proxy-garbled = lo que volvió a través del proxy { $proxy } (de { $from }) no es HTTP: la variable del proxy quizá nombra algo que no es un proxy HTTP, o el proxy está averiado. Revise la variable del proxy, pregunte a quien gestiona el proxy, o defina NO_PROXY={ $host } si la pasarela se alcanza sin el proxy
gw-proxy-empty = la respuesta que llegó a través del proxy { $proxy } (de { $from }) está vacía, donde se esperaba una lista de pasos JSON: quizá el proxy respondió por sí mismo, o pasó una respuesta vacía. Revise la variable del proxy, pregunte a quien gestiona el proxy, o defina NO_PROXY={ $host } si la pasarela se alcanza sin el proxy
gw-proxy-html = lo que llegó a través del proxy { $proxy } (de { $from }) es una página HTML, donde se esperaba una lista de pasos JSON: la página del propio proxy (una página de acceso o un portal), o un servidor web en --api. Defina NO_PROXY={ $host } si la pasarela se alcanza sin el proxy; si no, compruebe que --api apunta a una pasarela de pasos
gw-proxy-no-list = lo que llegó a través del proxy { $proxy } (de { $from }) no es una lista de pasos: { $why }. Puede que el proxy respondiera él mismo, o que lo que responde en --api no sea una pasarela de pasos. Defina NO_PROXY={ $host } si la pasarela se alcanza sin el proxy; si de este --api ya llegaron listas, pregunte a quien gestiona el proxy qué respondió; si no, compruebe que --api apunta a una pasarela de pasos
gw-proxy-too-large = lo que llegó a través del proxy { $proxy } (de { $from }) supera { $kib } KiB y no se leyó más: ninguna lista de pasos es tan grande. Puede que el proxy respondiera él mismo, o que lo que responde en --api no sea una pasarela de pasos. Defina NO_PROXY={ $host } si la pasarela se alcanza sin el proxy; si de este --api ya llegaron listas, pregunte a quien gestiona el proxy qué respondió; si no, compruebe que --api apunta a una pasarela de pasos
gw-proxy-closed = el proxy { $proxy } (de { $from }) cerró la conexión sin respuesta: no se sabe si se consultó a la pasarela. Reintente; si persiste, pregunte a quien gestiona el proxy, o defina NO_PROXY={ $host } si la pasarela se alcanza sin el proxy
gw-proxy-connect-closed = el proxy { $proxy } (de { $from }) cerró la conexión sin responder a la petición de un túnel (CONNECT) a { $host }, así que no se preguntó a la pasarela. Vuelva a intentarlo; si persiste, pregunte a quien gestiona el proxy si deja pasar este host, o defina NO_PROXY={ $host } si la pasarela se puede alcanzar sin el proxy
gw-proxy-5xx-todo = El proxy no transmitió esta solicitud. Si nada llega a través de él a esta --api, compruebe que la pasarela funciona y que --api es correcto; si otras solicitudes sí pasan (listas de otros vehículos), el proxy hace fallar esta: pregunte a quien lo gestiona
gw-proxy-5xx-wait-todo = El proxy no reenvió esta petición, y pide esperar { $secs } s (su Retry-After): reintente después. Si nada pasa por él hacia esta --api, compruebe que la pasarela funciona y que --api es correcta; si otras peticiones pasan (las listas de otros vehículos), el proxy falla en esta: pregunte a quien lo gestiona
gw-proxy-loopback = la pasarela está en esta máquina ({ $host }), pero { $from } envía sus peticiones al proxy { $proxy }, que respondió él mismo HTTP { $status }: la petición nunca llegó a la pasarela. El proxy (o uno al que reenvía) no alcanza las direcciones propias de esta máquina: ponga NO_PROXY={ $host } y vuelva a intentarlo
gw-proxy-loopback-tunnel = la pasarela está en esta máquina ({ $host }), pero { $from } envía sus peticiones al proxy { $proxy }, que no abrió un túnel (CONNECT) hacia ella: la petición nunca llegó a la pasarela. El proxy (o uno al que reenvía) no alcanza las direcciones propias de esta máquina: ponga NO_PROXY={ $host } y vuelva a intentarlo
gw-proxy-loopback-down = nada escucha en { $host }:{ $port }, la dirección de la pasarela en esta máquina (probado directamente): la pasarela no se ejecuta allí, así que el proxy { $proxy } (de { $from }) tampoco pudo alcanzarla. Compruebe que la pasarela se ejecuta y que el puerto de --api es el correcto
gw-proxy-refused-todo = El proxy rechazó su usuario y contraseña: revíselos en la variable del proxy (http://usuario:contraseña@proxy:puerto), o pregunte a quien gestiona el proxy
gw-proxy-401-basic-todo = Pide un usuario y una contraseña (Basic) con HTTP 401. Un proxy que pide así (tinyproxy lo hace) los toma de la variable del proxy (http://user:password@proxy:port); el inicio de sesión de un servidor web detrás del proxy no toma ninguno de ella, y stepwise no puede responderlo: entonces pregunte a quien lo gestiona, o defina NO_PROXY para el host de la pasarela si se puede alcanzar directamente
gw-proxy-401-basic-refused-todo = Pide un usuario y una contraseña (Basic) con HTTP 401 aunque la variable del proxy lleva unos: el proxy los rechazó (compruébelos, con caracteres como @ o : codificados con porcentaje), o el inicio de sesión es de un servidor web detrás del proxy, que no toma ninguno de la variable del proxy y que stepwise no puede responder. Pregunte a quien gestiona el proxy, o defina NO_PROXY para el host de la pasarela si se puede alcanzar directamente
gw-proxy-portal-todo = El proxy, o un portal delante de él, pide un inicio de sesión propio (el de un portal, o un esquema distinto de Basic), que ningún usuario y contraseña en la variable del proxy responde: inicie sesión en él en un navegador de esta máquina, o pregunte a quien gestiona el proxy; o defina NO_PROXY para el host de la pasarela si se puede alcanzar directamente
gw-proxy-forbidden-todo = El proxy rechaza esta petición por sus propias reglas (esta dirección, o este cliente): pida a quien gestiona el proxy que deje pasar la dirección de la pasarela, o configure NO_PROXY para el host de la pasarela si se alcanza sin el proxy
gw-proxy-credentials-refused = el proxy { $proxy } (de { $from }) rechazó el usuario y la contraseña de la variable del proxy (HTTP 407), así que la petición nunca llegó a la pasarela. Compruébelos (http://usuario:contraseña@proxy:puerto, con caracteres como @ o : codificados en porcentaje), o pregunte a quien gestiona el proxy
gw-proxy-407-todo = El proxy pide usuario y contraseña: póngalos en la variable del proxy (http://usuario:contraseña@proxy:puerto), o defina NO_PROXY para el host de la pasarela si se puede llegar directamente
gw-proxy-windows-todo = El proxy pide un inicio de sesión de Windows (Negotiate o NTLM), que stepwise no puede dar: ningún usuario y contraseña en la variable del proxy lo responde. Pida a quien gestiona el proxy que deje pasar la dirección de la pasarela sin él (o que ofrezca Basic), o defina NO_PROXY para el host de la pasarela si se puede alcanzar directamente
gw-proxy = el proxy { $proxy } (de { $from }) respondió él mismo HTTP { $status }{ $said }: la petición nunca llegó a la pasarela. { $todo }
gw-not-a-gateway = { $base } respondió HTTP { $status } sin el cuerpo de error de una pasarela: esta dirección no es una pasarela de pasos (una ruta errónea en --api, u otro servidor web). Dé a --api la URL base bajo la que está pims/subscription/steps, como https://pasarela.example/ o https://host/prefijo/
gw-not-a-gateway-listed = { $base } respondió HTTP { $status } sin el cuerpo de error de una pasarela, aunque en esta ejecución llegaron de esta dirección listas de otros vehículos: --api es correcto, y lo más probable es que la pasarela no conozca este id. Revise el id; si es correcto, avise a quien gestiona la pasarela (una ruta delante de ella puede rechazar esta única solicitud)
gw-not-a-gateway-proxy = { $base } respondió HTTP { $status } a través del proxy { $proxy }, sin el cuerpo de error de una pasarela: la página propia del proxy (un nombre de host que no pudo resolver o alcanzar), o una dirección que no es una pasarela de pasos. Revise el nombre de host en --api, o defina NO_PROXY={ $host } si la pasarela es accesible sin el proxy; si el host es correcto, dé a --api la URL base bajo la que está pims/subscription/steps, como https://pasarela.example/
gw-call-not-offered = { $base } respondió HTTP { $status } sin cuerpo de error de pasarela a la llamada { $call }. Si la lista por carAssociationID funciona en esta dirección (`stepwise steps --car ID`), --api es correcta y la pasarela no ofrece esta llamada, o algo delante de ella no la encamina: avise al operador de la pasarela. Si no, --api no es la URL base de una pasarela de pasos: dele aquella bajo la que está pims/subscription/steps, como https://gateway.example/
gw-not-a-gateway-path = { $base } respondió HTTP { $status }: --api contiene la ruta de la llamada ({ $path }), que stepwise añade por sí mismo. Dé a --api la dirección anterior: { $suggested }
gw-basic-prompt = { $base } pide usuario y contraseña (HTTP 401, Basic): el acceso de un servidor web o de un proxy inverso, al que stepwise no puede responder; una pasarela de pasos acepta un token bearer. Revise --api, o pida a quien gestiona ese servidor que deje pasar las peticiones a la pasarela
gw-windows-prompt = { $base } pide el inicio de sesión de Windows (HTTP 401, Negotiate o NTLM): el inicio de sesión de un servidor web o de un proxy inverso, al que stepwise no puede responder; una pasarela de pasos acepta un token bearer. Revise --api, o pida a quien gestiona ese servidor que deje pasar las peticiones a la pasarela
gw-refused = { $base } respondió HTTP { $status }{ $said }{ $via } sin cuerpo de error con la forma del contrato de la pasarela: se toma como acceso rechazado por algo situado delante de la pasarela (un cortafuegos, un cortafuegos de aplicaciones o un proxy inverso), no como un stepsID rechazado. Revise el token y sus permisos; si son correctos, pregunte a quien gestiona la red si bloquea esta dirección
gw-refused-no-token = { $base } respondió HTTP { $status }{ $said }{ $via } sin cuerpo de error con la forma del contrato de la pasarela: se toma como acceso rechazado por algo situado delante de la pasarela (un cortafuegos, un cortafuegos de aplicaciones o un proxy inverso), no como un stepsID rechazado. No se envió ningún token. Donde ningún vehículo obtiene su lista de esta pasarela sin token, la pasarela quizá quiera uno: delo (--token-file RUTA, STEPWISE_TOKEN, `stepwise login` o, donde la pasarela no ofrece inicio de sesión, `stepwise login --with-token`). Donde otros vehículos obtienen sus listas de esta pasarela sin token, no falta ninguno: pregunte a quien gestiona la red o la pasarela por qué se bloquea la llamada de este vehículo
gw-refused-via-proxy = { $base } respondió HTTP { $status }{ $said } a través del proxy { $proxy }, sin el cuerpo de error de una pasarela: el proxy, o algo delante de la pasarela, rechazó la petición. Pregunte a quien gestiona el proxy si deja pasar esta dirección, o configure NO_PROXY={ $host } si la pasarela se alcanza sin el proxy
gw-401-via-proxy = { $base } respondió HTTP 401{ $said } a través del proxy { $proxy }, una página web, no el cuerpo de error de una pasarela: el proxy, un portal delante de él, o algo delante de la pasarela (un proxy inverso, un servidor web) pide un inicio de sesión propio, que ningún token de la pasarela responde. Inicie sesión en él en un navegador de esta máquina, o pregunte a quien gestiona el proxy y la pasarela; o ponga NO_PROXY={ $host } si la pasarela es accesible sin el proxy
gw-401-bare-through-proxy = Esta respuesta llegó a través del proxy { $proxy } (de { $from }) como un HTTP 401 desnudo, sin cuerpo ni desafío, que pudo dar el propio proxy: si un token no lo supera, pregunte a quien gestiona el proxy si pide un inicio de sesión propio, o ponga NO_PROXY={ $host } si la pasarela es accesible directamente
gw-front-400 = { $base } respondió HTTP { $status }{ $said }{ $via } con una página web, sin el cuerpo de error de una pasarela: algo delante de la pasarela (un proxy inverso o un cortafuegos de aplicaciones web) rechazó la petición, así que la pasarela nunca la atendió. El id no tiene la culpa (stepwise lo comprueba antes de enviarlo), y --api es correcto si ya llegaron listas de él: pregunte a quien gestiona esa dirección qué significa su página
gw-front-401 = { $base } respondió HTTP 401{ $said } con una página web y sin desafío de inicio de sesión (sin cabecera WWW-Authenticate), donde una pasarela de pasos responde con su cuerpo de error y dice cómo quiere su token: algo delante de la pasarela (un proxy inverso, un servidor web o un portal) pide un inicio de sesión propio. Si antes llegaron listas de esta dirección sin token, no falta ningún token de la pasarela: pregunte a quien gestiona la red o la pasarela qué pide este inicio de sesión; si no, pregúnteles si la pasarela quiere un token ahí
gw-title-unreachable = Pasarela inaccesible
gw-title-timed-out = Pasarela sin respuesta
gw-title-timed-out-proxy = Sin respuesta a través del proxy
gw-title-bad-request = Petición rechazada
gw-title-unauthorized = Se necesita un token válido
gw-title-wrong-device = stepsID de otro dispositivo
gw-title-forbidden = Rechazado por la pasarela
gw-title-not-found = Id desconocido
gw-title-no-steps = Sin pasos
gw-title-conflict = Fuera de orden
gw-title-reset-refused = Reinicio rechazado
gw-title-too-many = Demasiadas peticiones
gw-title-server-failure = Fallo de la pasarela
gw-title-failed = Petición fallida
gw-title-too-large = Respuesta demasiado grande
gw-title-bad-answer = Respuesta inservible
gw-title-config = Configuración incorrecta

## The guidance pages the customer's phone opens

page-kicker = Activar sus servicios conectados: un paso
page-errors = Códigos que la app puede mostrar en este paso
page-footer = Mostrado por su concesionario con stepwise
page-does = Qué hacer:
page-needs = Qué necesita:
page-errors-hint = Si la app muestra uno de estos códigos, comuníqueselo a su concesionario: sabrá qué hacer.
page-unknown-purpose = La herramienta de su concesionario no tiene instrucciones para este paso.
page-unknown-does =
    Abra la app y siga lo que le pida para este paso.
    Si la app muestra un código de error, anótelo y enséñeselo a su concesionario.
page-step-deviceActivation-purpose = Registra este teléfono para la autenticación fuerte: el teléfono es lo que usted tiene, el código PIN lo que sabe.
page-step-mediumCarKey-purpose = Demuestra que usted tiene de verdad las llaves del vehículo. Solo hace falta una vez.
page-step-trusterPhoneNumber-needs =
    El teléfono cuyo número será de confianza, encendido y capaz de recibir SMS
    La aplicación móvil del vehículo, con la sesión de su cuenta iniciada
page-step-deviceActivation-needs =
    El teléfono que se activa, con el número de confianza capaz de recibir SMS
    Su código PIN si ya tiene uno, o uno nuevo que vaya a recordar
    Una conexión de datos que funcione en el teléfono
page-step-mediumCarKey-needs =
    El teléfono ya emparejado con el vehículo por Bluetooth
    Las llaves del vehículo, estando usted dentro del vehículo
    Ubicación y Bluetooth activados en los ajustes del teléfono

gw-title-tls = Falló la conexión segura
gw-title-live = Flujo en tiempo real averiado
gw-title-live-contradicted = El flujo en directo contradice las listas
gw-title-live-left-out = El flujo en tiempo real omite listas
gw-title-live-refused = Flujo en tiempo real rechazado
gw-title-live-not-offered = Flujo en tiempo real ya no ofrecido
gw-title-live-page = Flujo en tiempo real respondido por una página web
gw-title-live-compressed = Flujo en tiempo real comprimido
gw-title-token-dropped = Token perdido por el camino

## A TLS connection that failed, named; { $via } is empty or names the proxy

tls-via-proxy = { " " }(a través del proxy { $proxy })
tls-unknown-issuer = la pasarela en { $base }{ $via } presentó un certificado de un emisor desconocido (una autoridad privada, o un proxy que inspecciona el TLS). Confíe en esa autoridad con --ca-file ARCHIVO (su certificado, PEM), o STEPWISE_CA_FILE; si ya se indicó uno, no es la autoridad que firmó este certificado (un certificado de servidor en lugar de su autoridad, o una autoridad creada de nuevo desde entonces): use el certificado actual de la autoridad de la pasarela. O la pasarela no envía la autoridad intermedia que une su certificado a esa autoridad (stepwise doctor lo dice)
tls-expired = el certificado de la pasarela en { $base } ha caducado. Compruebe la fecha de este equipo; si es correcta, avise a quien gestiona la pasarela
tls-not-yet-valid = el certificado de la pasarela en { $base } aún no es válido. Compruebe la fecha y la hora de este equipo; si son correctas, avise a quien gestiona la pasarela
tls-wrong-host = el certificado de la pasarela en { $base } no está hecho para { $host }. Use en --api el nombre de host o la dirección para los que se emitió el certificado
tls-wrong-host-names = el certificado de la pasarela en { $base } está hecho para { $names }, no para { $host }. Use uno de ellos en --api, o haga emitir el certificado de la pasarela para { $host }
tls-no-host-names = el certificado de la pasarela en { $base } no nombra ningún host (sin nombre alternativo del sujeto; TLS ya no lee solo el nombre común). Ningún --api lo arregla: haga reemitir el certificado con el nombre de host como nombre alternativo del sujeto
tls-old-version = el certificado de la pasarela en { $base } es un certificado X.509 versión 1, que TLS ya no acepta. Ningún --api, --ca-file ni certificado de cliente puede arreglarlo: haga emitir de nuevo el certificado en versión 3, con el nombre de host como nombre alternativo del sujeto
tls-certificate-required = la pasarela en { $base } exige un certificado de cliente. Indique uno con --client-cert ARCHIVO --client-key ARCHIVO
tls-client-refused = la pasarela en { $base } rechazó el certificado de cliente ({ $alert }). Use un certificado emitido por la autoridad en la que confía la pasarela; `stepwise doctor` comprueba también sus fechas
tls-client-expired = la pasarela en { $base } indica que el certificado de cliente ha caducado. Pida uno nuevo a quien lo emitió (--client-cert, --client-key) y compruebe la fecha de este equipo
tls-client-unsupported = la pasarela { $base } rechazó el certificado de cliente por no admitido: casi siempre no está hecho para un cliente (el certificado de un servidor, cuyo uso de clave no incluye la autenticación de cliente). Use un certificado emitido para autenticación de cliente (--client-cert, --client-key)
tls-authority-as-server = la pasarela en { $base } presenta el certificado de una autoridad (CA:TRUE) como su propio certificado de servidor, algo que TLS no acepta. Pida a quien gestiona la pasarela que use un certificado de servidor firmado por esa autoridad; el certificado de la autoridad es el de --ca-file
tls-handshake-refused = la pasarela en { $base }{ $via } rechazó la negociación TLS ({ $alert }). Revise --api; si es correcto, avise a quien gestiona la pasarela
tls-not-tls = el servidor en { $base }{ $via } no habla TLS. Revise el puerto, o use http:// si la pasarela no tiene TLS
tls-not-tls-proxy = a través del proxy { $proxy }, lo que volvió para { $base } no es TLS: el proxy, o un filtro detrás de él, respondió en lugar de la pasarela (una página de bloqueo, una inspección). Pregunte a quien gestiona el proxy si deja pasar TLS hacia este host, o defina NO_PROXY={ $host } si la pasarela se alcanza sin el proxy
tls-other = la conexión TLS con la pasarela en { $base }{ $via } falló: { $what }. Revise --api, --ca-file y el certificado de cliente

## Step guidance

step-trusterPhoneNumber-title = Teléfono de confianza
step-trusterPhoneNumber-purpose = Registra el número de teléfono en el que la cuenta confiará para los códigos de seguridad. Debe hacerse antes de activar el dispositivo.
step-trusterPhoneNumber-needs =
    El teléfono cuyo número será de confianza, encendido y capaz de recibir SMS
    La aplicación móvil del vehículo, con la sesión de la cuenta del cliente iniciada
step-trusterPhoneNumber-does =
    En la app, introducir o confirmar el número de teléfono de confianza.
    Esperar el SMS con un código en ese número (puede tardar un minuto).
    Escribir el código SMS en el campo de código de la app y confirmar.
    Si el código se rechaza o ha caducado, pedir uno nuevo en la app y repetir.

step-deviceActivation-title = Activación del dispositivo
step-deviceActivation-purpose = Registra este teléfono para la autenticación fuerte: el teléfono es lo que el cliente tiene, el código PIN lo que sabe.
step-deviceActivation-needs =
    El teléfono que se activa, con el número de confianza capaz de recibir SMS
    El código PIN del cliente si ya tiene uno, o uno nuevo que vaya a recordar
    Una conexión de datos que funcione en el teléfono
step-deviceActivation-does =
    Iniciar la activación del dispositivo en la app y esperar el SMS en el número de confianza.
    Introducir el código SMS cuando la app lo pida (en el campo de código, no en el del PIN).
    Introducir el código PIN existente, o crear uno si la app lo pide.
    Si la cuenta está bloqueada (demasiados dispositivos o activaciones por SMS), quitar los dispositivos sin uso y empezar de nuevo.
    Si el PIN está bloqueado tras demasiados intentos fallidos, restablecerlo desde la app y activar de nuevo.

step-mediumCarKey-title = Comprobación CarKey
step-mediumCarKey-purpose = Demuestra que el cliente tiene de verdad las llaves del vehículo. Solo hace falta una vez.
step-mediumCarKey-needs =
    El teléfono ya emparejado con el vehículo por Bluetooth
    Las llaves del vehículo, con el cliente sentado dentro
    Ubicación y Bluetooth activados en los ajustes del teléfono
step-mediumCarKey-does =
    Sentarse en el vehículo con las llaves y el teléfono.
    Comprobar que Ubicación y Bluetooth están activados y que el teléfono muestra el vehículo como emparejado.
    Iniciar la comprobación CarKey en la app y seguir sus indicaciones sobre la llave.
    Quedarse en el vehículo hasta que la app confirme que ha salido bien.

step-generic-purpose = stepwise no conoce este paso, así que no tiene instrucciones propias.
step-generic-needs =
    El teléfono del cliente con la app abierta y la sesión iniciada
    Lo que la app pida en pantalla (códigos, PIN, llaves, acceso al vehículo)
step-generic-does =
    Pedir al cliente que abra la app y siga sus indicaciones para este paso.
    Anotar el nombre del paso y cualquier código de error que muestre la app.
    Buscar el paso en la documentación del fabricante o la ayuda del concesionario.
    Actualizar aquí la lista de pasos cuando el cliente haya terminado.

## App error codes

code-2000-meaning = Fallo genérico
code-2000-remedy = Pedir al cliente que lo intente de nuevo; si sigue fallando, anotar el código e informar.
code-2201-meaning = La petición superó el tiempo de espera
code-2201-remedy = Intentarlo de nuevo y comprobar que el teléfono tiene buena cobertura móvil o Wi-Fi.
code-2202-meaning = Sin conexión a Internet
code-2202-remedy = Comprobar los datos móviles o el Wi-Fi del teléfono y volver a intentarlo.
code-2204-meaning = Error del servidor
code-2204-remedy = Esperar un rato y volver a intentarlo; informar si se repite.
code-2301-meaning = Se necesita autenticación básica
code-2301-remedy = Pedir al cliente que cierre sesión en la app, vuelva a entrar y lo intente de nuevo.
code-2302-meaning = Se necesita autenticación fuerte
code-2302-remedy = Pedir al cliente que confirme con su código PIN (OTP con PIN) en la app y lo intente de nuevo.
code-2305-meaning = El código SMS no es válido
code-2305-remedy = Pedir a la app un código nuevo y escribirlo con cuidado en el campo de código.
code-2306-meaning = El código SMS ha caducado
code-2306-remedy = Pedir a la app un código nuevo e introducirlo enseguida.
code-2307-meaning = La cuenta no tiene número de teléfono
code-2307-remedy = Registrar primero un número de teléfono de confianza (paso trusterPhoneNumber).
code-2308-meaning = El servicio de autenticación denegó el acceso
code-2308-remedy = Comprobar el código SMS y el código PIN escritos, cada uno en su campo, y volver a intentarlo.
code-2310-meaning = La cuenta está bloqueada
code-2310-remedy = Quitar los dispositivos registrados de la cuenta (al menos los que no se usan) y registrar de nuevo este teléfono.
code-2311-meaning = El estado de autenticación no es correcto
code-2311-remedy = Reiniciar la caché de pasos (tecla R del asistente, o `stepwise steps --car ID --reset`) y registrar de nuevo el dispositivo.
code-2312-meaning = El dispositivo está desactivado o es desconocido
code-2312-remedy = Reiniciar la caché de pasos (tecla R del asistente, o `stepwise steps --car ID --reset`) y activar de nuevo el dispositivo.
code-2317-meaning = Operación prohibida con el PIN (dispositivo activado, bloqueado o actualizable)
code-2317-remedy = Reiniciar la caché de pasos (tecla R del asistente, o `stepwise steps --car ID --reset`) y activar de nuevo el dispositivo. Si persiste, la cuenta está bloqueada: quitar todos los dispositivos registrados y empezar de nuevo.
code-2323-meaning = El usuario no es el propietario de este vehículo
code-2323-remedy = Comprobar que el vehículo está asociado a la cuenta del cliente y que el carAssociationID es correcto.
code-2341-meaning = CarKey: Ubicación o Bluetooth desactivados
code-2341-remedy = Activar Ubicación y Bluetooth en el teléfono y repetir la comprobación CarKey.
code-2342-meaning = CarKey: el teléfono no está emparejado con el vehículo
code-2342-remedy = Emparejar el teléfono con el vehículo por Bluetooth y repetir la comprobación CarKey.
code-2346-meaning = No hay ningún paso para este stepsID
code-2346-remedy = Empezar de nuevo con el carAssociationID para obtener una lista de pasos nueva.
code-2354-meaning = CarKey: la posición de la llave no es válida
code-2354-remedy = Pedir al cliente que se siente en el vehículo con las llaves y repita la comprobación CarKey.
code-2355-meaning = CarKey: firma no válida
code-2355-remedy = Repetir la comprobación CarKey dentro del vehículo con las llaves; informar si sigue fallando.
code-2356-meaning = CarKey: marca de tiempo no válida
code-2356-remedy = Comprobar que la fecha y la hora del teléfono son automáticas y repetir la comprobación CarKey.
code-2390-meaning = El número de teléfono ya está registrado
code-2390-remedy = Nada que corregir: seguir con ese número como número de confianza.

## Codes and strings the open clients show their users

client-maxnbtools-meaning = Cuenta bloqueada: límite de dispositivos/SMS alcanzado
client-maxnbtools-remedy = Quitar los teléfonos y dispositivos sin uso en la aplicación móvil del vehículo (en la app: restablecer la cuenta Stellantis) y activar de nuevo. Si persiste, solo el soporte del fabricante puede reiniciar la cuenta, y puede tardar días.
client-forbidden-meaning = Se rechazó el registro OTP (misma familia que MAXNBTOOLS)
client-forbidden-remedy = Rehacer la activación del dispositivo desde el principio. Si se rechaza de nuevo, actuar como con MAXNBTOOLS: quitar los dispositivos sin uso y reiniciar la cuenta.
client-access-meaning = Código SMS o código PIN no válido
client-access-remedy = Introducirlos de nuevo: el código SMS en el campo de código, el código PIN de la app en el campo del PIN.
client-blocked-meaning = Demasiados códigos PIN erróneos: el PIN está bloqueado
client-blocked-remedy = Restablecer el código PIN en la aplicación móvil del vehículo y activar de nuevo el dispositivo.
client-code-meaning = Probablemente un código PIN de la app erróneo (no es seguro)
client-code-remedy = Volver a intentarlo con el código PIN correcto de la app.
client-sn-meaning = No se aceptó el código SMS (no es seguro; visto cuando se escribió o autocompletó otra cosa)
client-sn-remedy = Pedir un SMS nuevo y escribir el código a mano.
client-need-authorization-meaning = El inicio de sesión en la cuenta de la marca necesita una nueva autorización
client-need-authorization-remedy = Esperar y volver a intentarlo más tarde (a menudo al día siguiente); volver a iniciar sesión en la aplicación móvil del vehículo.
client-authentication-failed-meaning = El correo, la contraseña o el país de la cuenta de la marca no son correctos
client-authentication-failed-remedy = Corregir el correo, la contraseña o el país y volver a iniciar sesión.
client-invalid-grant-meaning = El token de sesión caducó o fue revocado
client-invalid-grant-remedy = Volver a iniciar sesión.
client-40400-meaning = No se encontró el estado de este vehículo
client-40400-remedy = Comprobar que el vehículo está en la cuenta del cliente; si persiste, quitar el vehículo y añadirlo de nuevo.
client-50000-meaning = Se sustituyó el módulo de conectividad del vehículo (tras una reparación) y el servidor ya no lo reconoce
client-50000-remedy = Volver a iniciar sesión; si persiste, el concesionario debe registrar el nuevo módulo.
client-50038-meaning = Error temporal del lado del fabricante
client-50038-remedy = Volver a intentarlo más tarde.
client-no-matching-service-key-meaning = Este comando no forma parte del servicio contratado
client-no-matching-service-key-remedy = Usar lo que ofrece la suscripción (puertas, claxon y luces necesitan un nivel de servicio superior).
client-422-meaning = Comando remoto rechazado: el modo de privacidad del vehículo está activo
client-422-remedy = Desactivar el modo de privacidad en el vehículo y volver a intentarlo.
client-901-meaning = Comando remoto rechazado: el vehículo está dormido
client-901-remedy = Despertar el vehículo y volver a intentarlo.

## Limits that bite

limit-sms-activations = Unas 20 activaciones por SMS bloquean la cuenta (a un usuario, hacia 10): tras dos fallos, explicar el código y parar.
limit-otp-codes = Las apps no oficiales (clientes de código abierto, no el cliente del vehículo) se limitan a 6 códigos OTP cada 24 h; probablemente el servidor impone ese límite.
limit-wake-ups = Esas apps se limitan a 6 despertares cada 20 minutos.

## Signing in

banner-sign-in-text = La pasarela rechazó el token (HTTP 401). Pulse «i» para iniciar sesión aquí.
banner-sign-in-kept-fixed-text = La pasarela rechazó el token guardado con `stepwise login --with-token` (HTTP 401). Pida a quien gestiona la pasarela su token actual, guárdelo con `stepwise login --with-token` y vuelva a empezar; o pulse i para iniciar sesión aquí, si la pasarela lo ofrece (i lo dice si no).
banner-sign-in-given-text = La pasarela rechazó el token (origen: { $from }) (HTTP 401). Ponga ahí su token actual y vuelva a empezar; o pulse i para iniciar sesión aquí, si la pasarela lo ofrece (si no, i lo dirá).
banner-simulated = Cliente simulado
banner-simulated-text = El cliente simulado completó { $title }; pidiendo la lista a la pasarela.
banner-simulate-demo-only = «s» simula al cliente solo en el backend de demo
banner-simulate-demo-only-text = Aquí el cliente actúa en el teléfono. Con `stepwise serve`, un paso se completa con: curl -X POST { $url }
banner-simulate-demo-only-token-text = Aquí el cliente actúa en el teléfono. Con `stepwise serve`, un paso se completa con: curl -X POST -H "Authorization: Bearer TOKEN" { $url } (TOKEN: el token que envía este asistente)
banner-simulate-demo-only-fixed-text = Aquí el cliente actúa en el teléfono. Con `stepwise serve`, un paso se completa con: curl -X POST -H "Authorization: Bearer TOKEN" { $url } (TOKEN: el token de la pasarela que guardó con `stepwise login --with-token`)
banner-simulate-demo-only-login-text = Aquí el cliente actúa en el teléfono. Con `stepwise serve`, un paso se completa con: curl -X POST -H "Authorization: Bearer TOKEN" { $url } (TOKEN: uno que la pasarela acepte. El de este asistente viene de un inicio de sesión y nunca se muestra: inicie `stepwise serve --auth` también con `--token T` y envíe T)
banner-sign-in-none-text = La pasarela pide un token, y no se envió ninguno (HTTP 401). Pulse «i» para iniciar sesión aquí, si la pasarela lo ofrece («i» le avisará si no).
banner-sign-in-login-unreadable-text = La pasarela pide un token, y no se envió ninguno (HTTP 401): los inicios de sesión guardados por `stepwise login` no se pudieron leer: { $why }. Salga, corríjalo y vuelva a empezar, o empiece con --token-file RUTA.
banner-sign-in-again-text = { $why }: el inicio de sesión ha caducado. Pulse «i» para volver a iniciar sesión.
banner-signed-in = Sesión iniciada
banner-signed-in-watch-resumed = El seguimiento, que el token rechazado había detenido, continúa.
banner-signed-in-text = El token se guarda en { $place }; los pasos se vuelven a pedir con él.
banner-signed-in-given = Esta sesión lo usa; la siguiente volverá a tomar el token de { $from }, que prevalece sobre la sesión guardada: iníciela sin { $from }.
banner-sign-in-failed = Inicio de sesión fallido
report-sign-in-cancelled = cancelado antes de que llegara la aprobación (Esc, o el asistente terminó): no se guardó ningún token
banner-sign-in-no-help = No se inició sesión
banner-sign-in-no-help-text = un nuevo inicio de sesión con estos ajustes obtendría la misma respuesta. { $why }
banner-sign-in-failed-text = { $why }. Pulse i para intentarlo de nuevo.
banner-sign-in-failed-fix-text = { $why }. Pulsar i de nuevo falla igual mientras eso no se cambie.
banner-sign-in-settings-text = { $why }. Un asistente en marcha lee sus ajustes de inicio de sesión al arrancar, y no acepta --client-id ni --scope: cámbielos en el archivo de configuración (`client_id`, `scopes`), luego salga (q) y vuelva a iniciarlo.
banner-sign-in-wait-text = El proveedor de identidad no da código por ahora ({ $said }) y pide esperar { $wait }. Pulse i tras esa espera.
banner-sign-in-expired-text = El código caducó antes de ser aprobado. Pulse i para un código nuevo, y apruébelo antes.
banner-sign-in-denied-text = El inicio de sesión fue rechazado (access_denied) para los scopes { $scopes }. Si se rechazó en el navegador, pulse i para iniciar sesión de nuevo. Si no, el proveedor quiere otros scopes: pregunte a su operador cuáles, luego salga, póngalos como `scopes` en el archivo de configuración y vuelva a empezar.
banner-sign-in-stopped-text = El proveedor de identidad detuvo el inicio de sesión ({ $said }). Pulse i para empezar uno nuevo.
banner-sign-in-not-offered-text = La pasarela { $gateway } no ofrece inicio de sesión: usa un token fijo. Salga, guarde el token con `stepwise login --with-token` (o indíquelo con --token-file ARCHIVO o STEPWISE_TOKEN) y vuelva a empezar: un asistente en marcha no lee un token guardado entretanto.
banner-sign-in-not-needed-text = La pasarela { $gateway } no ofrece inicio de sesión, y respondió sin token: aquí no necesita ninguno, así que no hay nada en lo que iniciar sesión.
banner-sign-in-discovery-refused-text = La pasarela { $gateway } rechazó la petición de sus metadatos de inicio de sesión (HTTP 403): no publica ninguno para este cliente, o un cortafuegos delante de ella bloquea esa ruta. Pida un token a quien gestiona la pasarela; después salga, guárdelo con `stepwise login --with-token` (o indíquelo con --token-file ARCHIVO o STEPWISE_TOKEN) y vuelva a empezar.
banner-sign-in-not-offered-given-text = La pasarela en { $gateway } no ofrece inicio de sesión: acepta un token fijo y rechazó el dado (origen: { $from }). Salga, ponga ahí su token actual y vuelva a empezar (un token guardado con `stepwise login --with-token` no se usa mientras { $from } dé uno).
help-section-sign-in = Inicio de sesión
key-short-sign-in = iniciar sesión
key-help-sign-in = iniciar sesión en la pasarela (tras un token rechazado) sin salir de este vehículo
key-help-open-sign-in-page = abrir la dirección de inicio de sesión en un navegador
key-help-cancel-sign-in = dejar de iniciar sesión (no se guarda nada)
gw-title-sign-in-again = Vuelva a iniciar sesión
gw-title-client-refused = Client id rechazado
gw-title-tokens-not-taken = Tokens no aceptados
gw-title-sign-in-failed = Inicio de sesión fallido
gw-title-renewal-failed = Renovación del token fallida
auth-denied = el inicio de sesión se rechazó (access_denied) para los scopes { $scopes }. Si nadie lo rechazó en el navegador, el proveedor quiere otros scopes: pregunte cuáles a su operador, indíquelos con --scope o `scopes` en el archivo de configuración y ejecute de nuevo `stepwise login`
auth-denied-said = el inicio de sesión se rechazó (access_denied) para los ámbitos { $scopes }, y el proveedor de identidad dice por qué: { $said }. Si eso nombra la cuenta (un grupo, un rol), pida al administrador del proveedor que le permita iniciar sesión en stepwise; si nombra ámbitos, indíquelos con --scope o `scopes` en el archivo de configuración, y ejecute `stepwise login` de nuevo
auth-expired = el código caducó antes de ser aprobado. Ejecute `stepwise login` de nuevo y apruébelo antes
auth-sign-in-again = { $why }. Ejecute `stepwise login` para volver a iniciar sesión
auth-client-refused-then = { $why }; luego inicie sesión con él: `stepwise login --client-id ID`
auth-refused-fresh-then = { $why }; luego inicie sesión con ella: `stepwise login --audience URI`
auth-unreachable = no se puede contactar con el proveedor de identidad en { $url }: { $detail }. Compruebe la red y luego reintente; si persiste, revise la dirección del emisor (--issuer, STEPWISE_ISSUER o `issuer` en el archivo de configuración) si se indica uno; si no, avise a quien gestiona la pasarela (sus metadatos de inicio de sesión nombran a este proveedor)
auth-proxy-407 = el proxy { $proxy } (de { $from }) respondió él mismo 407 a la llamada de inicio de sesión a { $url }: no se consultó al proveedor de identidad. El proxy pide usuario y contraseña: póngalos en la variable del proxy (http://usuario:contraseña@proxy:puerto), o defina NO_PROXY={ $host } si el proveedor se alcanza sin el proxy
auth-proxy-407-refused = el proxy { $proxy } (de { $from }) rechazó el usuario y la contraseña de su variable para la llamada de inicio de sesión a { $url } (407): no se consultó al proveedor de identidad. Revise el usuario y la contraseña en la variable del proxy, o defina NO_PROXY={ $host } si el proveedor se alcanza sin el proxy
auth-proxy-401-basic = el proxy { $proxy } (de { $from }) respondió él mismo a la llamada de inicio de sesión a { $url } con HTTP 401 y un inicio de sesión (Basic): no se preguntó al proveedor de identidad. Un proxy que pide así (tinyproxy lo hace) toma un usuario y una contraseña de la variable del proxy (http://usuario:contraseña@proxy:puerto); o ponga NO_PROXY={ $host } si el proveedor es accesible sin el proxy
auth-proxy-401-basic-refused = el proxy { $proxy } (de { $from }) respondió él mismo a la llamada de inicio de sesión a { $url } con HTTP 401 y un inicio de sesión (Basic), aunque la variable del proxy lleva usuario y contraseña: los rechazó, y no se preguntó al proveedor de identidad. Revíselos en la variable del proxy (caracteres como @ o : codificados en porcentaje), o ponga NO_PROXY={ $host } si el proveedor es accesible sin el proxy
auth-proxy-windows = el proxy { $proxy } (de { $from }) respondió él mismo con 407 a la llamada de inicio de sesión a { $url }, pidiendo un inicio de sesión de Windows (Negotiate o NTLM), que stepwise no puede dar: no se preguntó al proveedor de identidad, y ningún usuario y contraseña en la variable del proxy lo responde. Pida a quien gestiona el proxy que deje pasar { $host } sin él, o defina NO_PROXY={ $host } si el proveedor se puede alcanzar sin el proxy
auth-proxy-answered = la llamada de inicio de sesión a { $url } pasó por el proxy { $proxy } (de { $from }) y volvió con HTTP { $status }{ $said } sin respuesta del proveedor de identidad: respondió el propio proxy, o algo delante del proveedor. Pregunte a quien gestiona el proxy si deja pasar { $host }, o defina NO_PROXY={ $host } si el proveedor se alcanza sin el proxy (uno en esta máquina siempre se alcanza)
auth-proxy-429 = la llamada de inicio de sesión a { $url } pasó por el proxy { $proxy } (de { $from }), que respondió él mismo HTTP 429{ $said }: el proxy limita las solicitudes. Espere un minuto y reintente; si sigue así, pregunte a quien gestiona el proxy, o defina NO_PROXY={ $host } si el proveedor es accesible sin el proxy
auth-proxy-429-wait = la llamada de inicio de sesión a { $url } pasó por el proxy { $proxy } (de { $from }), que respondió él mismo HTTP 429{ $said }: el proxy limita las peticiones y pide esperar { $secs } s. Reintente después; si continúa, pregunte a quien gestiona el proxy, o ponga NO_PROXY={ $host } si el proveedor es accesible sin el proxy
auth-proxy-5xx = la llamada de inicio de sesión a { $url } pasó por el proxy { $proxy } (de { $from }), que respondió él mismo HTTP { $status }{ $said }: dejó pasar la llamada y no obtuvo respuesta de { $host } (caído, o fuera del alcance del proxy). Reintente más tarde; si persiste, pregunte a quien gestiona { $host } o el proxy, o defina NO_PROXY={ $host } si { $host } es accesible sin el proxy
auth-proxy-5xx-loopback = la llamada de inicio de sesión a { $url } pasó por el proxy { $proxy } (de { $from }), que respondió él mismo HTTP { $status }{ $said }: el proveedor de identidad { $host } está en este equipo, al que un proxy de otro lugar no llega, así que reintentar da lo mismo. Defina NO_PROXY={ $host } (a un proveedor en este equipo siempre se llega sin el proxy)
auth-proxy-closed = el proxy { $proxy } (de { $from }) cerró la llamada de inicio de sesión a { $url } sin respuesta: no se sabe si se consultó al proveedor de identidad. Reintente; si persiste, pregunte a quien gestiona el proxy, o defina NO_PROXY={ $host } si el proveedor se alcanza sin el proxy
auth-proxy-unreachable = no se puede conectar con el proxy { $proxy } (de { $from }) para la llamada de inicio de sesión a { $url }: nada responde en la dirección del proxy, así que no se preguntó nada. Revise la variable del proxy (host y puerto), o defina NO_PROXY={ $host } si la dirección se alcanza sin el proxy
auth-proxy-silent = sin respuesta a tiempo a la llamada de inicio de sesión a { $url } a través del proxy { $proxy } (de { $from }): el proxy, o el proveedor de identidad detrás de él, no contesta. Reintente más tarde; si persiste, pregunte a quien gestiona el proxy, o defina NO_PROXY={ $host } si el proveedor se alcanza sin el proxy
auth-proxy-garbled = lo que volvió a través del proxy { $proxy } (de { $from }) para la llamada de inicio de sesión a { $url } no es HTTP válido: el proxy está averiado, o su variable indica algo que no es un proxy HTTP. Revise la variable del proxy, pregunte a quien lo gestiona, o defina NO_PROXY={ $host } si el proveedor se alcanza sin el proxy
auth-proxy-tunnel = el proxy { $proxy } (de { $from }) no abrió un túnel (CONNECT) hacia { $host } para la llamada de inicio de sesión a { $url }: allí no se preguntó nada. Pregunte a quien gestiona el proxy si deja pasar { $host }, o defina NO_PROXY={ $host } si se alcanza sin el proxy
auth-fronted = la llamada de inicio de sesión a { $url } fue rechazada con HTTP { $status }{ $said } y una página, no con la respuesta del proveedor de identidad (sus errores son JSON): algo delante del proveedor (un cortafuegos, un cortafuegos de aplicaciones web, o un proxy inverso o su inicio de sesión) la rechazó. Reintentar o volver a iniciar sesión da lo mismo: pregunte a quien gestiona la red o el proveedor de identidad si deja pasar esta llamada
auth-no-endpoint = la llamada de inicio de sesión a { $url } recibió HTTP { $status } sin error OAuth: ningún punto de acceso responde ahí (una pasarela de API delante del proveedor de identidad responde así para una ruta que no tiene, o el proveedor lo movió). Avise a quien gestiona el proveedor de identidad o la pasarela; reintentar da lo mismo, y un nuevo inicio de sesión solo ayuda si los metadatos del proveedor nombran ahora otra dirección
auth-fronted-gone = la llamada de inicio de sesión a { $url } recibió HTTP { $status }{ $said } y una página, no la respuesta del proveedor de identidad (sus errores son JSON): nada sirve esa dirección, o algo delante del proveedor responde por ella. Los metadatos del proveedor de identidad la siguen nombrando, así que reintentar o volver a iniciar sesión da lo mismo: avise a quien gestiona el proveedor de identidad o la pasarela
auth-fronted-page = la llamada de inicio de sesión a { $url } recibió HTTP { $status }{ $said } y una página web, no el JSON del proveedor de identidad: algo delante del proveedor (un portal, un proxy inverso o su página de inicio de sesión) respondió en su lugar. Pregunte a quien gestiona la red o el proveedor de identidad si deja pasar esta llamada
auth-no-answer = el proveedor de identidad en { $url } aceptó la conexión pero no respondió a tiempo: está ocupado o colgado. Reintente más tarde; si persiste, avise a quien lo gestiona
auth-not-tls = el proveedor de identidad en { $url } no habla TLS: revise el puerto en la dirección del emisor (--issuer, STEPWISE_ISSUER o `issuer` en el archivo de configuración), o use allí http:// si el proveedor no tiene TLS
auth-tls-unknown-issuer = el proveedor de identidad en { $url } presentó un certificado de un emisor desconocido (una autoridad privada, o un proxy que inspecciona TLS). Confíe en su autoridad con --ca-file ARCHIVO (su certificado, PEM), que da quien gestiona el proveedor; si --issuer (o `issuer` en el archivo de configuración) es erróneo, corríjalo
auth-tls-wrong-host = el certificado del proveedor de identidad en { $url } no está hecho para su host. Revise --issuer (o `issuer` en el archivo de configuración); si es correcto, avise a quien gestiona el proveedor
auth-tls-dates = el certificado del proveedor de identidad en { $url } caducó o aún no es válido. Revise la fecha y la hora de este equipo; si son correctas, avise a quien gestiona el proveedor
auth-tls-other = la conexión TLS con el proveedor de identidad en { $url } falló ({ $code }). Revise --issuer (o `issuer` en el archivo de configuración); si es correcto, avise a quien gestiona el proveedor
auth-tls-old-version = el proveedor de identidad en { $url } presentó un certificado X.509 versión 1, que TLS ya no acepta. Ningún --issuer ni --ca-file puede arreglarlo: pida a quien gestiona el proveedor que lo emita de nuevo en versión 3, con su nombre de host como nombre alternativo del sujeto
auth-tls-no-host-names = el certificado del proveedor de identidad en { $url } no nombra ningún host (sin nombre alternativo del sujeto; TLS ya no lee un nombre común solo). Ningún --issuer ni --ca-file puede arreglarlo: pida a quien gestiona el proveedor que lo emita de nuevo con su nombre de host como nombre alternativo del sujeto
auth-answered-badly = se alcanzó la dirección del proveedor de identidad { $url }, pero { $detail }. Revise la dirección del emisor (--issuer, STEPWISE_ISSUER o `issuer` en el archivo de configuración) si se indica uno; si no, avise a quien gestiona la pasarela
auth-closed = la dirección del proveedor de identidad { $url } aceptó la llamada y cerró la conexión sin responder: el proveedor puede estar reiniciándose o sobrecargado, o algo intermedio la cortó. Vuelva a intentarlo; si persiste, compruebe la dirección del emisor (--issuer, STEPWISE_ISSUER o `issuer` en el archivo de configuración) si se indicó, si no avise a quien gestiona la pasarela
login-title = Iniciar sesión en { $gateway }
login-open = Abra { $address } e introduzca este código:
login-scan = O escanee este código QR con un teléfono:
login-qr-no-room = (Una ventana más grande muestra un código QR de la dirección.)
login-press-enter = Pulse Intro para abrir la dirección en el navegador.
login-waiting = Esperando la aprobación (el código caduca en { $left }; Ctrl-C cancela)…
err-login-output-closed = no se pudo mostrar el código de inicio de sesión: la salida estándar está cerrada o se descarta (una tubería que dejó de leer, como `| head -1`, un descriptor cerrado o /dev/null), así que nadie puede aprobarlo. No se guardó nada; ejecute `stepwise login` de nuevo con su salida en un terminal o en un archivo
err-login-output-unwritable = no se pudo mostrar el código de inicio de sesión: no se pudo escribir en la salida estándar ({ $why }), así que nadie puede aprobarlo. No se guardó nada; ejecute `stepwise login` de nuevo con su salida en un terminal o en un archivo en el que se pueda escribir
login-poll-limited = El proveedor de identidad pide esperar (HTTP 429, demasiadas solicitudes): la aprobación se comprobará de nuevo en { $secs } s. El código sigue siendo válido mientras tanto.
login-browser-opened = Dirección entregada al navegador (si ningún navegador la muestra, abra usted la dirección de arriba).
login-browser-failed = No se puede abrir un navegador ({ $why }); abra la dirección a mano.
login-signed-in = Sesión iniciada en { $gateway }.
login-token-expired-kept = Nota: según la caducidad escrita en él, este token caducó el { $time }; la pasarela lo aceptó ahora, pero puede rechazarlo en cualquier momento. Pida su token actual
login-token-untried-why = Token guardado para { $gateway }, pero no probado: { $why }. Si esa dirección es errónea, corrija --api (o `api` en el archivo de configuración) y vuelva a guardar el token; si no, la pasarela dirá si lo acepta en la próxima llamada (`stepwise steps --car ID`).
login-token-untried-silent = Token guardado para { $gateway }, pero no probado: la pasarela aceptó la conexión y no respondió en { $secs } s (ocupada o bloqueada). Compruebe que funciona y responde; la pasarela dirá si acepta el token en la próxima llamada (`stepwise steps --car ID`).
login-token-untried-proxy = Token guardado para { $gateway }, pero no probado: { $why }. En cuanto el proxy deje pasar la petición (o NO_PROXY lo evite), la pasarela dirá en la siguiente llamada si acepta el token (`stepwise steps --car ID`).
login-token-unjudged = Token guardado para { $gateway }, pero la respuesta no dice si la pasarela lo acepta: { $why }. La pasarela lo dirá en la próxima llamada (`stepwise steps --car ID`).
err-login-not-a-gateway = Token no guardado: { $why }
err-signin-not-a-gateway = Sesión no iniciada: esta dirección no publica inicio de sesión, y su llamada de pasos muestra por qué: { $why }
login-token-taken = Token guardado para { $gateway }: la pasarela lo aceptó.
login-token-not-checked = Token guardado para { $gateway }, pero la pasarela también respondió sin token: aquí no necesita ninguno, así que no se puede saber si acepta este. Se envía en cada llamada de todos modos; `stepwise logout` lo olvida.
login-expires = El token caduca a las { $time }; se renueva antes.
login-kept = El token se guarda en { $place }.
login-environment-wins = Nota: STEPWISE_TOKEN está definido aquí, y su token prevalece sobre este inicio de sesión en cada comando. Quite STEPWISE_TOKEN para usar el inicio de sesión.
login-file-notice = Nota: ningún llavero respondió en este equipo, así que el token se guarda en un archivo que solo usted puede leer (modo 0600). `stepwise logout` lo elimina.
login-file-notice-windows = Nota: ningún llavero respondió en este equipo, así que el token se guarda en un archivo de su propia carpeta %LOCALAPPDATA%, que Windows solo deja leer a usted (y a los administradores del PC). `stepwise logout` lo elimina.
login-file-chosen = Nota: el token se guarda en el archivo, no en un llavero, porque STEPWISE_TOKEN_STORE=file lo pide. `stepwise logout` lo elimina.
login-keyring-too-small = Nota: el token es demasiado largo para { $name } (como máximo { $max } bytes por entrada), así que se guarda en su lugar en un archivo que solo usted puede leer. `stepwise logout` lo elimina.
login-paste = Pegue el token para { $gateway } y pulse Intro (no se muestra; Esc o Ctrl-C cancela):
place-keyring = el llavero ({ $name })
place-file = el archivo { $path }
logout-none = No hay ninguna sesión guardada para { $gateway }; nada que eliminar.
logout-done = Sesión cerrada en { $gateway }: el token ya no está en { $place }.
logout-still-given = Un token dado mediante { $from } sigue presente y se sigue usando.
token-from-token-file = --token-file
token-from-environment = STEPWISE_TOKEN
token-from-login = la sesión guardada
token-from-config = el archivo de configuración
status-gateway = Pasarela:   { $gateway }
status-login-kept = Sesión:     guardada en { $place }
status-login-file-private = (solo usted puede leerlo)
status-login-file-open = (legible por otros usuarios de este equipo: modo { $mode }; ejecute `chmod 600 { $path }`)
status-login-none = Sesión:     ninguna guardada (`stepwise login` inicia sesión donde la pasarela lo ofrece; `stepwise login --with-token` guarda un token fijo)
status-login-kept-unused = Sesión:     guardada en { $place }, sin usar: el token (origen: { $from }) tiene prioridad
duration-days = { $n } d
duration-hours = { $n } h
duration-minutes = { $n } min
duration-seconds = { $n } s
status-expires = Caducidad:  { $time } (dentro de { $left })
status-expires-renewed = Caducidad:  { $time } (dentro de { $left }; renovado ahora mismo)
status-expired-refreshable = Caducidad:  caducó a las { $time }; en el próximo uso se obtiene un token nuevo
status-renewal-failed = Renovación: probada ahora mismo, y falló: { $why }
status-expired = Caducidad:  caducó a las { $time }
status-expires-ended = Caducidad:  { $time } (ya no se puede usar: el proveedor de identidad terminó la sesión)
status-expires-unknown = Caducidad:  desconocida (un token dado a mano)
status-expires-unknown-provider = Caducidad:  desconocida (el proveedor de identidad no dio una caducidad utilizable)
status-refresh-auto = Renovación: automática, antes de que caduque
status-refresh-ended = Renovación: ninguna: el proveedor de identidad acaba de terminar el inicio de sesión (la línea Renovación de arriba dice cómo). Ejecute `stepwise login`
status-refresh-failing = Renovación: automática, pero la renovación acaba de fallar (la línea Renovación de arriba dice por qué); el próximo uso vuelve a pedirla
status-refresh-none = Renovación: no es posible; vuelva a iniciar sesión cuando deje de funcionar
status-refresh-fixed = Renovación: no es posible (un token dado a mano); cuando deje de funcionar, guarde el token actual de la pasarela con `stepwise login --with-token`
status-in-use-login = En uso:     la sesión guardada
status-in-use-dropped = En uso:     el token de { $from }, pero no llegó a la pasarela: { $why }
status-in-use-login-refused = En uso:     la sesión guardada, pero la pasarela acaba de rechazar su token (HTTP 401): la próxima llamada lo renueva una vez; si la pasarela también rechaza ese, vuelva a iniciar sesión con `stepwise login`
status-in-use-login-refused-fresh = En uso:     la sesión guardada, pero la pasarela acaba de rechazar su token (HTTP 401), y también el renovado en el acto: { $why }
status-in-use-login-refused-fixed = En uso:     la sesión guardada, pero la pasarela acaba de rechazar su token (HTTP 401): inicie sesión con `stepwise login` si la pasarela ofrece inicio de sesión; si no, pida su token actual a quien la gestiona, y guárdelo con `stepwise login --with-token`
status-in-use-spent = En uso:     nada utilizable: la sesión guardada caducó. Ejecute `stepwise login`
status-in-use-renewing = En uso:     la sesión guardada, en cuanto el proveedor de identidad renueve su token: la renovación falló por ahora (la línea Renovación dice por qué); un nuevo inicio de sesión daría con el mismo proveedor
status-in-use-spent-fixed = En uso:     nada utilizable: el token guardado a mano (login --with-token) caducó. Guarde el token actual de la pasarela con `stepwise login --with-token`
status-in-use-ended = En uso:     nada utilizable: el proveedor de identidad terminó la sesión guardada. Ejecute `stepwise login`
status-in-use-client = En uso:     nada utilizable: el proveedor de identidad no acepta el id de cliente de la sesión guardada. Inicie sesión con el que conoce: `stepwise login --client-id ID`
status-in-use-other = En uso:     un token dado mediante { $from } (prevalece sobre una sesión guardada)
status-in-use-not-tried = sin probar: no se pudo preguntar a la pasarela si lo acepta: { $why }
status-in-use-other-expired = En uso:     un token de { $from } (prevalece sobre una sesión guardada), pero caducó el { $time }, según la caducidad escrita en él: ponga uno vigente ahí, o quítelo para usar una sesión guardada
status-in-use-other-refused = En uso:     un token de { $from } (prevalece sobre una sesión guardada), pero la pasarela acaba de rechazarlo (HTTP { $status }): ponga ahí el token vigente de la pasarela, o quítelo para usar una sesión guardada
status-in-use-other-scope = En uso:     un token de { $from } (prevalece sobre una sesión guardada), pero la pasarela dice que le falta el scope { $scope } (HTTP { $status }): pida a quien emite los tokens de la pasarela uno con ese scope
status-in-use-config = En uso:     un token dado mediante { $from } (una sesión guardada, con `stepwise login`, prevalecería sobre él)
status-in-use-config-refused = En uso:     un token dado mediante { $from } (una sesión guardada, con `stepwise login`, prevalecería sobre él), pero la pasarela acaba de rechazarlo (HTTP { $status }): ponga ahí el token vigente de la pasarela, o guarde uno con `stepwise login` (o `stepwise login --with-token`), que prevalece sobre él
status-in-use-config-expired = En uso:     un token dado mediante { $from } (una sesión guardada, con `stepwise login`, prevalecería sobre él), pero caducó el { $time }, según la caducidad escrita en él: ponga uno vigente ahí, o guarde uno con `stepwise login` (o `stepwise login --with-token`), que prevalece sobre él
status-in-use-config-scope = En uso:     un token dado mediante { $from } (una sesión guardada, con `stepwise login`, prevalecería sobre él), pero la pasarela dice que le falta el scope { $scope } (HTTP { $status }): pida a quien emite los tokens de la pasarela uno con ese scope
signin-asking = Pidiendo un código de inicio de sesión: la pasarela nombra su proveedor de identidad, que da el código…
signin-waiting = Esperando la aprobación (el código caduca en { $left }). Esc cancela; la sesión del vehículo se mantiene.
signin-no-browser = Aquí no se puede abrir ningún navegador (no hay sesión gráfica). En un teléfono u otro ordenador, abra la dirección de arriba (o escanee su código QR) e introduzca el código.
signin-no-browser-no-qr = Aquí no se puede abrir ningún navegador (no hay sesión gráfica). En un teléfono u otro ordenador, abra la dirección de arriba e introduzca el código.
signin-no-browser-local = Aquí no se puede abrir ningún navegador (no hay sesión gráfica), y la dirección de arriba solo existe en esta máquina (loopback), así que otro dispositivo tampoco puede abrirla. Esc cancela; después guarde un token con `stepwise login --with-token`, o inicie el asistente en la pantalla de esta máquina.
signin-browser-failed = El navegador no se abrió ({ $why }). En un teléfono u otro ordenador, abra la dirección de arriba (o escanee su código QR) e introduzca el código.
signin-browser-failed-no-qr = El navegador no se abrió ({ $why }). En un teléfono u otro ordenador, abra la dirección de arriba e introduzca el código.
status-in-use-none = En uso:     ningún token. Ejecute `stepwise login` (`stepwise login --with-token` si la pasarela no ofrece inicio de sesión), o dé uno con --token-file o STEPWISE_TOKEN
status-in-use-none-fixed = En uso:     ningún token, y la pasarela quiere uno. No ofrece inicio de sesión: su token viene de quien la gestiona. Guarde ese token con `stepwise login --with-token`, o indíquelo con --token-file o STEPWISE_TOKEN
status-in-use-none-needed = En uso:     ningún token, y no hace falta: la pasarela en { $gateway } respondió sin él. Ejecute `stepwise steps --car ID` tal cual
status-in-use-none-unasked = En uso:     ningún token; no se pudo preguntar a la pasarela en { $gateway } si quiere uno: { $why }. En cuanto responda, `stepwise auth status` dice si quiere uno
status-unasked-no-client = la llamada no se pudo hacer con los ajustes de red indicados (stepwise steps dice cuáles)
status-login-trouble = Sesión:     { $why }
status-in-use-trouble = En uso:     ningún token: la sesión guardada no se puede leer (vea la línea de arriba)

## El panel: muchos vehículos a la vez

board-title = { $count ->
    [one] panel de 1 vehículo
   *[other] panel de { $count } vehículos
}
board-sorted-by = ordenado por { $key }
board-sort-next = paso siguiente
board-sort-progress = progreso
board-sort-freshness = antigüedad
board-sort-id = ID
board-live-on-short = tiempo real: sí
board-live-polling-short = tiempo real: sí · consulta cada { $secs } s
board-live-off-short = tiempo real: no
board-summary-ready = { $n ->
    [one] { $n } listo
   *[other] { $n } listos
}
board-summary-in-progress = { $n } en curso
board-summary-failing = { $n } con error
board-summary-loading = { $n } en espera de respuesta
limited-wait = HTTP 429: las peticiones esperan { $secs } s más
board-filter = filtro:
board-fresh-never = aún no
board-fresh-secs = hace { $n } s
board-fresh-mins = hace { $n } min
board-fresh-hours = hace { $n } h
board-empty = Aún no hay vehículos en el panel: pulse «a» para añadir uno.
board-none-match = Ningún vehículo coincide con el filtro. Esc lo borra.
board-col-car = carAssociationID
board-col-car-short = ID
board-col-progress = progreso
board-col-progress-short = progreso
board-col-next = paso siguiente
board-col-fresh = datos
board-col-error = error
board-rows-window = { $from }–{ $to } de { $total }
board-n-of-m = { $done } de { $total }
board-ready = listo
board-loading = consultando…
board-held = retenido (HTTP 429)
board-retrying-was = reintentando (antes: { $was })
board-held-was = retenido (antes: { $was })
board-remove-ask = ¿Quitar { $car } del panel? Pulse «s» para quitarlo o «n» para dejarlo.
board-add-prompt = Añadir carAssociationID:
board-add-duplicate = { $car } ya está en el panel.
board-removed = { $car } quitado
board-removed-text = Sus peticiones se detuvieron; pulse «a» para añadirlo de nuevo.
board-shared-steps-id = Un mismo stepsID ({ $id }) para { $count } vehículos
board-shared-steps-id-text = { $cars } recibieron listas bajo el mismo stepsID, que pertenece a un solo vehículo: un proxy o una caché entre aquí y la pasarela (que ignora la consulta), o la propia pasarela, mezcla las respuestas, así que estas filas y sus actualizaciones en directo pueden mostrar la lista de otro vehículo. No se fíe de ellas; avise al operador de la pasarela (y al administrador de la red, donde haya un proxy configurado).
board-turned-ready = { $count ->
    [one] { $cars } está listo
   *[other] { $cars } están listos
    }
board-turned-ready-text = Todos los pasos están hechos: el cliente puede usar el servicio.
board-turned-unready = { $count ->
    [one] { $cars } ya no está listo
   *[other] { $cars } ya no están listos
    }
board-live-on = { $count ->
    [one] En tiempo real: 1 vehículo
   *[other] En tiempo real: { $count } vehículos
}
board-live-off = Tiempo real: no
board-live-off-text = El panel ya no se actualiza solo; r actualiza todo ahora.
board-live-stopped = Tiempo real detenido para { $car }: { $what }
board-live-stopped-every = Tiempo real detenido para todos los vehículos: { $what }
board-live-stopped-text = { $why }. Seguirlo solo repetiría esta respuesta; el tiempo real continúa para los demás vehículos. Cuando esté resuelto, pulse w dos veces (tiempo real apagado y luego encendido) para volver a seguirlo.
board-live-stopped-unknown-text = { $why }. Seguirlo solo repetiría esta respuesta; el tiempo real continúa para los demás vehículos.
board-row-id-fix = El id de una fila no se corrige en su sitio: en el tablero, d quita esta fila y a añade el id correcto (desde la pantalla de este vehículo, Esc vuelve antes al tablero).
board-live-stopped-all-text = { $why }. Seguirlo solo repetiría esta respuesta, y el tiempo real se ha detenido ya para todos los vehículos del tablero. Si todos recibieron la misma respuesta, la causa es la pasarela o algo delante de ella, no cada id. Cuando esté resuelto, pulse w para volver a seguirlos (el tiempo real está apagado).
board-vehicle-said = { $car }: { $what }
board-all-failed = { $count ->
    [one] El vehículo falló
   *[other] Los { $count } vehículos fallaron de la misma manera
}: { $what }
board-stream-said = Flujo en directo de { $count } vehículos: { $what }
board-nothing-to-watch-text = Todos los vehículos están listos.
help-section-board = El panel
help-section-board-filter = El filtro del panel
help-section-board-add = Añadir un vehículo
help-section-board-remove = Quitar un vehículo
key-short-sort = ordenar
key-short-live = tiempo real
key-short-add = añadir
key-short-remove = quitar
key-short-keep = dejar
key-help-board-move = elegir un vehículo
key-help-board-open = abrir los pasos del vehículo elegido (Esc vuelve al panel)
key-help-board-filter = filtrar las filas por texto (ID, paso siguiente, error)
key-help-board-sort = ordenar por paso siguiente, progreso, antigüedad de los datos o ID
key-help-board-refresh = actualizar todos los vehículos
key-help-board-live = mantener todos los vehículos en tiempo real (se actualizan solos), o parar
key-help-board-add = añadir un vehículo por su carAssociationID
key-help-board-remove = quitar el vehículo elegido (pregunta antes)
key-help-board-clear = borrar el filtro
key-help-board-sign-in = iniciar sesión en la pasarela (tras un token rechazado): cada vehículo rechazado por falta de token vuelve a pedir
key-help-filter-keep = mantener el filtro y volver a las filas
key-help-filter-clear = borrar el filtro
key-help-type-filter = escribir el texto a buscar
key-help-add-submit = añadir el vehículo y pedir sus pasos
key-help-remove-now = quitarlo del panel

## Command-line help: what --help says of each command and option

# The words clap itself would say in English.
help-cli-usage = Uso:
help-cli-options = Opciones
help-cli-arguments = Argumentos
help-cli-commands = Comandos
help-cli-command-value = COMANDO
help-cli-help = Mostrar la ayuda
help-cli-help-short = Mostrar la ayuda (más detalle con '--help')
help-cli-help-long = Mostrar la ayuda (un resumen con '-h')
help-cli-version = Mostrar la versión
help-cli-help-command = Mostrar este mensaje o la ayuda de los comandos indicados
help-cli-help-command-subcommand = Mostrar la ayuda de estos comandos
help-cli-default = [por defecto: { $value }]
help-cli-env = [entorno: { $name }]
help-cli-values = [valores posibles: { $values }]
# stepwise itself and its global options.
help-cli-stepwise = Guía al técnico por los pasos de activación de servicios de un vehículo conectado
help-cli-stepwise-long =
    Guía al técnico por los pasos de activación de servicios de un vehículo conectado.

    Sin pasarela configurada (--api, STEPWISE_API o el archivo de configuración), el asistente y los comandos steps/next usan el simulador integrado.
help-cli-stepwise-after = Códigos de salida de steps/next: 0 ningún paso devuelto está pendiente (todo), 3 un paso devuelto está pendiente, 1 error, 2 uso incorrecto. Un comando rechaza una opción global que no usa.
help-cli-stepwise-api = URL base de la pasarela de pasos, p. ej. http://127.0.0.1:8080 (sin usuario ni contraseña)
help-cli-stepwise-car = carAssociationID que abrir (letras a–z, A–Z, cifras, - y _); repítalo para un panel de varios vehículos (doctor toma uno)
help-cli-stepwise-cars = Archivo de carAssociationIDs: uno por línea (# inicia un comentario), o un CSV con el id en la primera columna
help-cli-stepwise-concurrency = Peticiones simultáneas a la pasarela, para todo el panel o todo --cars
help-cli-stepwise-token-file = Archivo con el token (bearer) de la pasarela, solo en una línea
help-cli-stepwise-report = Escribir aquí el informe de sesión al salir (.json da JSON, si no Markdown)
help-cli-stepwise-lang = Idioma de las pantallas, la guía, la salida de texto y estos mensajes: en, fr, de, it, es, nl, pt-BR o pt-PT (pt: pt-BR; si no STEPWISE_LANG, lang del archivo de configuración, el idioma del sistema, inglés)
help-cli-stepwise-ca-file = Confiar también en las autoridades de este archivo PEM (si no STEPWISE_CA_FILE, `ca_file` del archivo de configuración, SSL_CERT_FILE)
help-cli-stepwise-client-cert = Presentar este certificado de cliente (PEM; puede incluir también la clave)
help-cli-stepwise-client-key = La clave privada del certificado de cliente (PEM)
# The commands and their options.
help-cli-demo = El asistente sobre el simulador integrado
help-cli-demo-autoplay = El cliente simulado completa el siguiente paso cada pocos segundos
help-cli-demo-fresh = Empezar de cero el backend de demo: olvidar sus stepsIDs, cachés y estados
help-cli-demo-board = Abrir el panel con los vehículos del backend de demo (o los de --car/--cars)
help-cli-fleet = El panel: muchos vehículos a la vez, una fila cada uno (indíquelos con --car, repetido, o --cars ARCHIVO)
help-cli-serve = Ejecutar el simulador de la pasarela de pasos
help-cli-serve-addr = Dirección de escucha, HOST:PUERTO (un nombre de host se resuelve)
help-cli-serve-scenario = Archivo de escenario (JSON); si no, el escenario integrado
help-cli-serve-token = Exigir este token (bearer) en cada petición. Cualquier usuario de esta máquina puede leerlo con `ps`: mejor --token-file o STEPWISE_SERVE_TOKEN
help-cli-serve-fleet = Añadir N vehículos generados, F0001..., en estados variados
help-cli-serve-churn = Cada SECONDS segundos se completa el siguiente paso de un vehículo generado al azar (F0001…); los integrados se dejan para jugarlos a mano
help-cli-serve-stream-events = Terminar cada flujo de eventos tras sus primeros N eventos (para herramientas que necesitan una respuesta que termine)
help-cli-serve-log = Escribir una línea por petición en la salida estándar: hora, método, ruta, estado, duración
help-cli-serve-tls = Servir HTTPS con un certificado generado al arrancar (para localhost y 127.0.0.1)
help-cli-serve-tls-dir = Escribir allí la autoridad (ca.pem), el certificado y la clave (si no, sim-tls en la carpeta de datos)
help-cli-serve-client-ca = Exigir certificados de cliente firmados por esta autoridad (PEM)
help-cli-serve-auth = Ser también el proveedor de identidad (`stepwise login`): clientes registrados, scopes, inicio de sesión por dispositivo y por código de autorización (PKCE), tokens de renovación rotatorios, revocación; POST /sim/device/CODE/approve o /deny
help-cli-serve-token-ttl = Vida de los tokens que emite, en segundos
help-cli-login = Iniciar sesión en la pasarela (--api) con un código aprobado en un navegador
help-cli-login-with-token = Leer en su lugar un token de la entrada estándar: por una tubería, o pegado cuando se solicite, sin que se muestre (nunca de un argumento)
help-cli-logout = Revocar la sesión en el proveedor de identidad si ofrece revocación, y olvidar el token guardado para la pasarela (--api)
help-cli-logout-forget = Olvidar la sesión aquí aunque no se pueda contactar con el proveedor de identidad para revocarla
help-cli-auth = El inicio de sesión: quién, dónde se guarda el token, cuándo caduca
help-cli-auth-status = Indica la pasarela, dónde se guarda el token y cuándo caduca (nunca el token); salida 0 con un token válido o cuando la pasarela responde sin él, 1 en otro caso
help-cli-auth-status-json = Mostrar JSON
help-cli-steps = Mostrar los pasos como lista de comprobación (o JSON); salida 3 mientras un paso devuelto esté pendiente
help-cli-steps-after =
    Con --status todo o alreadyDone solo se devuelven esos pasos: la salida indica entonces que está filtrada y nunca da el servicio por listo, y la salida 0 solo significa que ningún paso devuelto está pendiente.

    Con varios vehículos (--car repetido, o --cars ARCHIVO) cada uno tiene su bloque, o con --json un objeto JSON por línea (JSON Lines); salida 1 si algún vehículo falló (stderr nombra cada uno), si no 3 si alguno tiene un paso pendiente, si no 0.
help-cli-steps-steps-id = Actualizar por stepsID en vez de por --car
help-cli-steps-status = Solo los pasos con este estado
help-cli-steps-reset = Vaciar antes la caché de pasos (resuelve los errores de la app 2312/2317)
help-cli-steps-json = Mostrar JSON en vez de la lista de comprobación
help-cli-steps-deadline = Dejar de esperar tras estos segundos en total (con varios vehículos, nombrar los que no respondieron)
help-cli-doctor = Comprobar todo entre esta máquina y un asistente que funcione; salida 1 si falla una comprobación
help-cli-doctor-json = Mostrar JSON
help-cli-completions = Mostrar los autocompletados de la shell (bash, zsh, fish, powershell, elvish)
help-cli-completions-shell = La shell para la que escribir los autocompletados
help-cli-man = Mostrar la página de manual (roff), p. ej. `stepwise man > stepwise.1`
help-cli-next = Mostrar el siguiente paso pendiente; salida 3 mientras quede uno
help-cli-next-after = `order` es la respuesta de la pasarela sobre el siguiente paso, tal como la envía: esa respuesta numera a su manera el paso que devuelve (la del SDK da 1), así que puede diferir del orden del mismo paso en `stepwise steps`.
help-cli-next-steps-id = El stepsID cuyo siguiente paso se pide (`stepwise steps` lo muestra)
help-cli-next-json = Mostrar JSON
# Wrong arguments, said before anything runs.
cli-arg-error = stepwise: error: { $message }
cli-arg-login-trouble = stepwise: aviso: no se envía ningún token: { $why }
cli-arg-warning = stepwise: aviso: { $what }
device-unkept = el id del dispositivo no se puede guardar en { $path } ({ $why }): cada ejecución es un dispositivo nuevo para la pasarela, que rechaza los stepsID de ejecuciones anteriores como de otro dispositivo. Corríjalo: quite lo que estorba, o deje que este usuario escriba ahí
cli-waiting-limited = stepwise: la pasarela limita las peticiones (HTTP 429): esperando { $secs } s como pide, y luego un nuevo intento (Ctrl-C detiene)
cli-waiting-limited-past-deadline = stepwise: la pasarela limita las peticiones (HTTP 429) y pide esperar { $secs } s, más que los { $left } s que quedan del plazo (--deadline): el comando se detiene al llegar el plazo. Indique un --deadline más largo para esperarlo, o inténtelo más tarde
cli-arg-not-used = { $command } no usa { $option }: { $why }
cli-arg-why-demo-api = siempre funciona sobre el simulador integrado. Para una pasarela ejecute `stepwise --api URL`
cli-arg-why-demo-token-file = el simulador integrado no necesita token. Para una pasarela ejecute `stepwise --api URL --token-file PATH`
cli-arg-why-login-token-file = login guarda un token leído de la entrada estándar, nunca de un archivo indicado con él: `stepwise login --with-token < PATH`
cli-arg-why-logout-token-file = logout olvida la sesión guardada para la pasarela, y no le envía ningún token. Omítala
cli-arg-why-serve-api = es la propia pasarela. Dirija en su lugar los clientes a su --addr
cli-arg-why-concurrency = es la pasarela y no consulta él mismo ninguna pasarela; --concurrency es para los clientes que le consultan. Quite la opción
cli-arg-why-concurrency-next = pide el siguiente paso de un vehículo, en una sola petición: nada se ejecuta a la vez. Quite la opción
cli-arg-why-serve-car = el simulador responde por cada vehículo de su escenario (elija uno con --scenario)
cli-arg-why-session-report = los informes de sesión salen del asistente. Quite la opción
cli-arg-why-serve-client-cert = son lo que presenta un cliente. Para exigir certificados de cliente use serve --tls --client-ca ARCHIVO
cli-arg-why-doctor-report = muestra su informe en su lugar. Use --json y redirija la salida para guardarlo
cli-arg-doctor-one-car = doctor comprueba un solo vehículo: dé un solo --car (sin --cars); los vehículos de un panel se comprueban con `stepwise steps --cars ARCHIVO`
cli-arg-why-print-report = muestra su resultado en su lugar. Redirija la salida para guardarlo, p. ej. `--json > steps.json`
cli-arg-why-sign-in-car = el inicio de sesión es por pasarela, no por vehículo. Quite la opción
cli-arg-why-next-car = solo pregunta por --steps-id. Obtenga un stepsID con `stepwise steps --car ID`
cli-arg-why-steps-cars = --steps-id pide una sola lista. Quite uno de los dos
cli-arg-serve-token-twice = serve toma el token que exige de --token o de --token-file, no de ambos
cli-arg-serve-token-empty = serve --token está vacío, así que no exigiría ningún token. Indique el token, o quite --token para un simulador abierto a todos
cli-arg-serve-churn = serve --churn necesita --fleet N: completa pasos de los vehículos generados. Añada p. ej. --fleet 200
cli-arg-seconds = indique un número de segundos de 0.1 a 86400, p. ej. 2
cli-arg-empty = está vacío: indique un valor, u omita la opción para su valor por defecto
cli-arg-id = un id tiene de 1 a { $max } letras a–z, A–Z, cifras, '-' o '_'
cli-arg-addr-no-port = falta el puerto; indique HOST:PUERTO, p. ej. 127.0.0.1:8080, localhost:8080 o [::1]:8080
cli-arg-addr-no-host = a { $port } le falta el host; indique HOST:PUERTO, p. ej. 127.0.0.1:{ $port } (o 0.0.0.0:{ $port } para la red del taller)
cli-arg-addr-port = el puerto no es un número de 0 a 65535; indique HOST:PUERTO, p. ej. 127.0.0.1:8080, localhost:8080 o [::1]:8080
cli-arg-addr-host = el host no es ni una dirección ni un nombre de host; indique HOST:PUERTO, p. ej. 127.0.0.1:8080, localhost:8080 o [::1]:8080
cli-arg-addr-scheme = empieza por un esquema (http:// o https://), que --addr no admite; indique solo HOST:PUERTO, p. ej. { $given }
cli-arg-addr-ip = la dirección IP { $host } no es válida: cada una de sus cuatro partes es un número de 0 a 255; indique HOST:PUERTO, p. ej. 127.0.0.1:8080 o 192.168.1.20:8080
cli-arg-report-folder = --report { $path } es una carpeta. Indique un nombre de archivo dentro, p. ej. { $example }
cli-arg-report-slash = --report { $path } termina en barra, como la ruta de una carpeta, y esa carpeta no existe. Indique un nombre de archivo, p. ej. session.md
cli-arg-report-not-a-file = --report { $path } no es un archivo normal (un dispositivo, una tubería o un enlace), y el informe lo sustituiría. Indique la ruta de un archivo nuevo o normal, p. ej. sesion.md
cli-arg-report-is-cars = --report { $path } es el archivo de ids indicado con --cars: el informe sobrescribiría la lista de vehículos. Dé otro nombre al informe, p. ej. sesion.md
cli-arg-report-is-token-file = --report { $path } es el archivo de token dado con --token-file: el informe sobrescribiría el token. Dé otro nombre al informe, por ejemplo session.md
cli-arg-report-is-config = --report { $path } es el archivo de configuración que lee esta ejecución: el informe sobrescribiría sus ajustes. Dé otro nombre al informe, por ejemplo session.md
cli-arg-report-not-report = --report { $path } ya es un archivo que no es un informe de stepwise: el informe lo reemplazaría. Dé otro nombre al informe, p. ej. sesion.md, o mueva antes ese archivo a otro sitio
cli-arg-report-in-data = --report { $path } está en la carpeta de datos de stepwise ({ $dir }), donde guarda sus sesiones y su id de dispositivo: el informe podría sobrescribirlos. Dé al informe una ruta fuera de ella, por ejemplo session.md
cli-arg-report-parent-file = --report { $path }: { $parent } no es una carpeta. Elija otra ruta
cli-arg-report-no-folder = --report { $path }: la carpeta { $parent } no existe. Créela o elija otra ruta
cli-arg-report-unwritable = --report { $path } no se puede escribir ({ $why }). Elija una ruta con permiso de escritura
cli-arg-report-unwritable-kept = --report { $path } no se puede escribir ({ $why }). El informe de la sesión, notas incluidas, se escribió en { $kept } en su lugar; revise qué cambió en esa ruta desde que empezó el asistente
cli-arg-unknown-lang = idioma desconocido { $given } en { $place }; stepwise habla { $codes }
cli-arg-unknown-lang-config = idioma desconocido { $given } en lang del archivo de configuración; stepwise habla { $codes }
cli-arg-man-failed = no se puede generar la página de manual: { $error }
cli-arg-cars-unreadable = no se puede leer --cars { $path }: { $error }. Compruebe la ruta (un id por línea, o un CSV)
cli-arg-cars-workbook = --cars { $path } es un libro de Excel, no texto: en Excel, guárdelo con Guardar como, «CSV UTF-8», e indique ese archivo
cli-arg-cars-not-text = --cars { $path } no es un archivo de texto (tiene caracteres de control): dé un archivo de texto con un carAssociationID por línea, o un CSV
cli-arg-cars-bad = --cars { $path }: { $error }
cars-bad-line = línea { $line } "{ $id }"
cars-bad-more = y { $n } más
cars-bad = { $lines }: { $count ->
    [one] no es un carAssociationID
   *[other] no son carAssociationID
} (de 1 a { $max } letras a–z, A–Z, cifras, '-' o '_'). Corrija o elimine { $count ->
    [one] esa línea
   *[other] esas líneas
}
cars-excel-number = Una línea contiene un número largo tal como lo escribe Excel (por ejemplo 9,87654E+11): en Excel, dé a la columna formato Texto, vuelva a escribir los ids y guarde de nuevo.
cars-heading-no-ids = su primera fila "{ $heading }" no nombra ninguna columna como carAssociationID, y ninguna columna debajo contiene solo ids (un VIN o una matrícula no es un carAssociationID). Titule la columna de los ids carAssociationID (o ID vehículo), o ponga un id por línea
cars-heading-ambiguous = su primera fila "{ $heading }" no dice qué columna contiene el carAssociationID, y { $count } columnas debajo podrían contenerlo. Titule la columna de los ids carAssociationID (o ID vehículo), o ponga un id por línea
cli-arg-cars-empty = --cars { $path } no contiene ningún carAssociationID. Ponga un id por línea
cli-arg-fleet-needs-cars = fleet necesita vehículos: indique --car ID (repetido) o --cars ARCHIVO, p. ej. `stepwise fleet --cars ids.txt`
cli-arg-steps-needs-car = steps necesita --car ID, --cars ARCHIVO o --steps-id ID
steps-reset-asked = La caché de pasos se restableció (resetSteps=true): la lista de abajo es la respuesta de la pasarela tras el restablecimiento.
cli-wrong-device-hint = Este dispositivo obtiene su propio stepsID con `stepwise steps --car ID`; indique ese en --steps-id.
cli-wrong-device-reset = La caché de pasos no se restableció: restablézcala por el carAssociationID, con `stepwise steps --car ID --reset`.
cli-wrong-device-unkept = Esta ejecución no pudo guardar su id de dispositivo (vea el aviso de arriba): cada ejecución es así un dispositivo nuevo, y un stepsID solo sirve en la ejecución que lo obtuvo. Arregle primero la carpeta de datos.
cli-arg-output-failed = no se puede escribir la salida: { $error }. Compruebe adónde va la salida estándar (¿disco lleno?)
cli-arg-runtime = no se puede iniciar el entorno asíncrono: { $error }
cli-arg-dumb-terminal = el asistente no puede dibujar en un terminal básico (TERM=dumb). Para scripts use `stepwise steps --car ID [--json]`, o defina TERM, p. ej. TERM=xterm-256color
cli-arg-demo-scripts = Para los vehículos de la demo, `stepwise steps --car 987654` (o 111111, 222222, 333333, 444444) responde desde el mismo simulador integrado solo donde no hay ninguna pasarela configurada (ni --api, ni STEPWISE_API, ni `api` en el archivo de configuración); los F0001… de la demo del tablero solo existen dentro de ella
cli-arg-no-terminal = el asistente necesita un terminal interactivo. Para scripts use `stepwise steps --car ID [--json]`
cli-arg-report-written = Informe de sesión escrito en { $path }
cli-arg-report-empty = Nada que informar: en esta sesión no se abrió ningún vehículo ni se escribió ninguna nota ({ $path } lo indica).
cli-arg-report-notes-kept = Sus notas se guardaron: no se dio --report y la sesión terminó sin un segundo q, así que el informe de la sesión se escribió en { $path }
cli-arg-report-notes-unkept = Sus notas no se pudieron escribir en ningún informe (tampoco se puede escribir en los informes de la carpeta de datos); aquí están, para copiarlas:
cli-arg-report-earlier-kept = El informe anterior en esa ruta se guarda como { $path }
cli-arg-internal-error = stepwise se detuvo tras un error interno (el mensaje está arriba); el archivo de registro tiene los detalles para soporte.
cli-arg-scenario-bad = { $error }. Corrija el archivo o quite --scenario
scenario-unreadable = no se puede leer el escenario { $path }: { $error }
scenario-not-json = el escenario { $path } no es el JSON de un escenario ({ $detail })
scenario-unknown-member = contiene un miembro { $member }, que un escenario no tiene, en la línea { $line }, columna { $column }
scenario-missing-member-at = falta el miembro { $member } en el objeto que termina en la línea { $line }, columna { $column }
scenario-shape-at = su forma difiere de la de un escenario en la línea { $line }, columna { $column }
scenario-cut = el escenario { $path } termina antes de que acabe su JSON (línea { $line }, columna { $column }): el archivo está cortado
scenario-syntax = el escenario { $path } no es JSON válido en la línea { $line }, columna { $column } (falta una comilla, una coma o un corchete, o no es un archivo JSON): corríjalo ahí
scenario-bad-id = el escenario { $path }: el carAssociationID { $id } no está hecho de letras a–z, A–Z, dígitos, - o _
scenario-id-twice = el escenario { $path }: el carAssociationID { $id } aparece dos veces
scenario-step-names = el escenario { $path }: cada paso de { $id } necesita un nombre, cada nombre una sola vez
cli-arg-addr-unresolved = no se puede resolver --addr { $addr }: { $error }. Indique una dirección IP o un nombre de host que esta máquina conozca, p. ej. 127.0.0.1:8080
cli-arg-addr-nothing = --addr { $addr } no da ninguna dirección. Indique una dirección IP, p. ej. 127.0.0.1:8080
cli-arg-listen-failed = no se puede escuchar en { $addr }: { $error }. Elija otra --addr
cli-arg-bound-unknown = no se sabe qué dirección quedó asociada para { $addr }. Elija otra --addr
cli-arg-sim-stopped = el simulador se detuvo: { $error }
cli-arg-tls-no-dir = no hay carpeta de datos donde escribir los certificados. Indique --tls-dir CARPETA
cli-arg-tls-dir-failed = no se puede crear { $path }: { $error }. Indique otro --tls-dir
cli-arg-tls-write-failed = { $error }. Indique otro --tls-dir
cli-arg-client-ca-unreadable = no se puede leer el archivo --client-ca { $path }: { $error }. Compruebe la ruta
cli-arg-client-ca-bad = { $error }. Compruebe el archivo --client-ca
cli-arg-tls-authority-written = Autoridad escrita en { $path }: los clientes confían en ella con --ca-file { $path }
cli-arg-tls-client-cert = Un certificado de cliente de esta autoridad, para probar una pasarela que lo exija (serve --client-ca { $ca }): --client-cert { $path }
cli-arg-tls-authority-kept = Se conserva la autoridad de una ejecución anterior en { $path } (borre allí ca.pem, cert.pem y key.pem para tener nuevos): los clientes confían en ella con --ca-file { $path }
cli-arg-tls-kept-uncovered = Atención: el certificado guardado en { $path } está hecho para { $names }, no para { $missing }: los clientes que usen { $missing } en --api tendrán un error de certificado. Borre ca.pem, cert.pem y key.pem en { $dir } para que se creen otros nuevos (los clientes confían entonces en el nuevo ca.pem)
cli-arg-tls-kept-bad = los archivos TLS que ya hay en { $dir } no se pueden usar ({ $error }). Se dejan como están: borre allí ca.pem, cert.pem y key.pem para que se creen nuevos, o indique otro --tls-dir
sim-tls-library = la biblioteca TLS rechazó la configuración: { $error }
sim-tls-write = { $path } no se puede escribir: { $error }
sim-tls-cert-none = cert.pem no contiene ningún certificado PEM (no hay bloque BEGIN CERTIFICATE)
sim-tls-cert-not-pem = cert.pem no es PEM válido (un bloque está dañado)
sim-tls-key-none = key.pem no contiene ninguna clave privada PEM
sim-tls-key-mismatch = cert.pem y key.pem no van juntos (la clave no es la del certificado)
sim-tls-client-ca-none = el archivo --client-ca { $path } no contiene ningún certificado PEM (no hay bloque BEGIN CERTIFICATE): indique el archivo PEM de la autoridad que emite los certificados cliente
sim-tls-client-ca-not-pem = el archivo --client-ca { $path } no es PEM válido (un bloque está dañado)
sim-tls-client-ca-not-authority = el archivo --client-ca { $path } contiene un certificado que no puede servir de autoridad ({ $detail })
cli-arg-tls-partial = { $dir } tiene { $present } pero no todos los archivos ca.pem, cert.pem y key.pem: no se sobrescribe nada (puede haber clientes que confíen en esa autoridad). Añada los que faltan, borre esos, o dé otro --tls-dir
cli-arg-tls-client-ca-required = Se exigen certificados de cliente firmados por { $path }
cli-arg-sim-listening = simulador de stepwise escuchando en { $url } ({ $count ->
        [one] 1 asociación
       *[other] { $count } asociaciones
    }; { $required }; Ctrl-C lo detiene)
cli-arg-sim-token-either = se exige el token (bearer) o un token de sesión
cli-arg-sim-token-bearer = se exige un token (bearer)
cli-arg-sim-token-signed-in = se exige un token de sesión
cli-arg-sim-token-none = no se exige token
cli-arg-sim-open-network = Atención: { $url } es accesible desde otras máquinas y no pide ningún token: cualquiera en esa red puede usar las llamadas de control (/sim/…: completar o revocar pasos, aprobar inicios de sesión). Exija un token con --token-file RUTA, o escuche solo en 127.0.0.1.
cli-arg-sim-reach = Otros equipos y los teléfonos lo alcanzan en { $url }: indique esa dirección a --api en ellos (el QR de la guía del cliente apuntará también allí)
cli-arg-sim-device-sign-in = inicio de sesión por dispositivo activo: los tokens duran { $seconds } s; apruebe un código con POST /sim/device/CODE/approve (o /deny), o abra { $url }/device

## Command-line errors: configuration, networks, sign-in storage
# El archivo de configuración; { $file } es su ruta, o su ruta y la variable que lo indica
err-config-named-by = { $path } (indicado por STEPWISE_CONFIG)
err-config-not-utf8 = el archivo de configuración { $file } no es texto UTF-8. Guárdelo como TOML en UTF-8
err-config-missing = el archivo de configuración { $file } no existe. Créelo, o corrija o elimine STEPWISE_CONFIG
err-config-folder-named = el archivo de configuración { $file } es una carpeta, no un archivo. Corrija STEPWISE_CONFIG o elimínela
err-config-folder = el archivo de configuración { $file } es una carpeta, no un archivo. Elimínela o ponga allí un archivo de configuración
err-config-unreadable = no se puede leer el archivo de configuración { $file }: { $kind }. Hágalo legible para su usuario
err-config-unreadable-other = no se puede leer el archivo de configuración { $file }: { $kind }. Corrija lo que falla ahí, o apunte STEPWISE_CONFIG a otro archivo de configuración
err-config-invalid-at = el archivo de configuración { $file } no es válido en la línea { $line }, columna { $column }: { $why }. Claves conocidas: api, token, token_file, docs_base_url, ca_file, client_cert, client_key, lang, issuer, client_id, scopes, audience
err-config-backslash = el archivo de configuración { $file }, línea { $line }: una barra invertida en un texto entre "…" inicia un escape (\t es un tabulador, \n un salto de línea), así que una ruta de Windows se rompe ahí. Escriba la ruta entre comillas simples ('C:\Users\yo\tok'), o con / o \\ en lugar de cada \
err-config-empty-path = el archivo de configuración { $file }, línea { $line }: { $key } está vacío, así que no nombra ningún archivo. Indique la ruta del archivo, o quite la línea
err-config-invalid = el archivo de configuración { $file } no es válido: { $why }. Claves conocidas: api, token, token_file, docs_base_url, ca_file, client_cert, client_key, lang, issuer, client_id, scopes, audience
err-config-syntax-at = el archivo de configuración { $file } no es válido en la línea { $line }, columna { $column }: { $why }
err-config-syntax = el archivo de configuración { $file } no es válido: { $why }
config-unknown-key = { $key } no es una clave que stepwise conozca
config-wants-text = este valor debe ser texto entre comillas (clave = "valor")
config-quote = un valor de texto va entre comillas (clave = "valor")
config-unclosed = un texto entre comillas no está cerrado. Termínelo con la comilla con la que empieza (" o ')
config-no-equals = una clave y su valor se unen con = (clave = "valor"), no con dos puntos ni con un espacio
config-extra-equals = entre una clave y su valor va un solo = (clave = "valor")
config-duplicate = esta clave aparece por segunda vez. Deje solo una
config-one-per-line = una sola clave = "valor" por línea, sin nada tras el valor salvo un comentario #
config-table = este archivo no admite encabezados [sección]: cada ajuste es una línea propia, clave = "valor"
config-no-key = falta la clave antes del =: cada ajuste es una línea clave = "valor", p. ej. api = "https://gateway.example"
# Archivo de token y token dado como texto; { $from } dice dónde se indicó
err-from-config-token = el archivo de configuración
err-from-stdin = la entrada estándar
err-from-config-token-file = token_file del archivo de configuración
err-from-config-ca-file = ca_file del archivo de configuración
err-token-file-missing = el archivo de token { $path } (de { $from }) no existe. Compruebe la ruta, o guarde el token allí
err-token-file-unexpanded = el archivo de token { $path } (de { $from }) no existe: en una ruta solo se expanden ~/ o $HOME/ al principio, cualquier otra variable se toma tal cual. Indique la ruta completa
err-token-file-folder = el archivo de token { $path } (de { $from }) es una carpeta. Indique el archivo que contiene el token, no su carpeta
err-token-file-denied = el archivo de token { $path } (de { $from }) no se puede leer: permiso denegado. Hágalo legible para su usuario (p. ej. chmod 600)
err-token-file-unreadable = el archivo de token { $path } (de { $from }) no se puede leer ({ $kind }). Compruebe la ruta y el archivo
err-token-file-not-utf8 = el archivo de token { $path } (de { $from }) no es texto UTF-8. Ponga en él el token de la pasarela como texto plano
err-token-file-empty = el archivo de token { $path } (de { $from }) está vacío. Ponga en él el token de la pasarela, solo en una línea
err-token-file-characters = el archivo de token { $path } (de { $from }) contiene espacios o caracteres que un token no puede tener. Ponga el token solo en una línea, tal como lo dio la pasarela
err-token-file-bearer = el archivo de token { $path } (de { $from }) lleva la palabra Bearer delante del token: quite la palabra Bearer y deje el token solo en su línea; stepwise añade Bearer por su cuenta
err-token-file-wrapped = el archivo de token { $path } (de { $from }) contiene el token { $shape }: deje solo el token, solo en su línea, tal como lo emitió la pasarela
err-serve-token-file-characters = el archivo de token { $path } (de serve --token-file) tiene espacios, comillas o caracteres que un token no puede tener. El token del simulador lo elige usted: ponga uno solo de letras, dígitos y - . _ ~ + /, solo en su línea
err-token-file-lines = el archivo de token { $path } (de { $from }) tiene { $n ->
    [one] { $n } línea
   *[other] { $n } líneas
}. Un archivo de token contiene solo el token, en una línea
err-token-text = el token en { $from } contiene espacios, saltos de línea o caracteres que un token no puede tener. Indique el token tal como lo emitió la pasarela
err-token-text-bearer = el token en { $from } empieza por la palabra Bearer: quite la palabra Bearer e indique solo el token; stepwise añade Bearer por su cuenta
err-token-text-wrapped = el token de { $from } se da { $shape }: indique el token en sí, tal como lo emitió la pasarela
err-serve-token-text = el token del simulador (serve --token o STEPWISE_SERVE_TOKEN) tiene espacios, comillas o caracteres que un token no puede tener. Lo elige usted: use solo letras, dígitos y - . _ ~ + /
token-shape-quoted = entre comillas
token-shape-assignment = como nombre=valor (una línea de un script o de un archivo .env)
token-shape-json = dentro de un JSON (como la respuesta de un proveedor de identidad: el valor de su access_token es el token)
token-shape-punctuated = con un ';' o ',' detrás (copiado de una línea de comandos o de una lista)
token-shape-header = como una línea de cabecera entera (`Authorization: Bearer …`; stepwise añade por sí mismo la cabecera y la palabra Bearer)
err-token-text-empty = el token en { $from } está vacío. Indique el token tal como lo emitió la pasarela, o quite el ajuste
err-config-token-not-text = el archivo de configuración { $file } da un token que no es texto entre comillas (su valor no se muestra). Escríbalo como token = "…", tal como lo emitió la pasarela
err-file-too-large = más de { $limit } KiB, mucho más de lo que un archivo así contiene nunca
err-io-not-found = el archivo no existe
err-io-denied = permiso denegado (este usuario no puede leerlo)
err-io-folder = es una carpeta, no un archivo
err-io-not-text = no es texto UTF-8
# URL
err-user-info-gateway = la URL de la pasarela lleva un usuario o una contraseña (user:password@host), que stepwise ni muestra ni envía. Quítelos de --api, STEPWISE_API o api en el archivo de configuración; el token de la pasarela va en --token-file, STEPWISE_TOKEN o el archivo de configuración
err-user-info-docs = la URL base de la documentación lleva un usuario o una contraseña (user:password@host), que stepwise ni muestra ni envía. Quítelos de { $place }; el token de la pasarela va en --token-file, STEPWISE_TOKEN o el archivo de configuración
err-docs-url = la URL base de la documentación { $url } no es una URL http(s). Corrija { $place }, p. ej. https://help.dealer.example
err-docs-url-why = la URL base de la documentación { $url } no sirve: { $why }. Corrija { $place }, p. ej. https://help.dealer.example
docs-place-config = docs_base_url en el archivo de configuración
err-api-scheme = la URL de la pasarela { $url } no dice http:// ni https://: añada http:// o https:// delante, p. ej. http://{ $url }
err-api-scheme-typo = la URL de la pasarela { $url } tiene el esquema mal escrito (hace falta ://): escriba { $fixed }
err-api-empty = --api (o STEPWISE_API) está indicado pero vacío: dé la URL de la pasarela, p. ej. --api http://127.0.0.1:8080, u omítalo para usar el simulador integrado
err-api-empty-in-file = `api` en el archivo de configuración ({ $path }) está vacío: indique allí la URL de la pasarela, p. ej. api = "http://127.0.0.1:8080", o quite la línea para usar el simulador integrado
# Certificados, claves y proxies; { $why } cierra la frase que nombra el archivo
err-ca-file = el archivo de CA { $path } { $why }. Indique un archivo PEM de la autoridad con --ca-file
err-ca-file-from = el archivo de CA { $path } (de { $from }) { $why }. Corrija { $from } para que indique un archivo PEM de la autoridad, o quite ese ajuste
err-client-cert = el certificado de cliente { $path } { $why }. Indique un certificado PEM con --client-cert (y su clave con --client-key)
err-client-cert-bare = el certificado de cliente { $path } { $why }
err-key-not-in-cert = el certificado de cliente { $path } { $why }; ponga la clave en el mismo archivo o indique --client-key. Indique un certificado PEM con --client-cert (y su clave con --client-key)
err-client-key = la clave de cliente { $path } { $why }. Indique la clave privada del certificado (PEM) con --client-key
err-key-mismatch = la clave de cliente { $key } no corresponde al certificado { $cert }. Indique la clave con la que se creó este certificado
err-key-without-cert = se indicó --client-key { $key } sin --client-cert. Indique ambos
err-key-without-cert-config = `client_key` en el archivo de configuración nombra { $key }, pero no hay certificado de cliente: añada `client_cert` al archivo de configuración (o indique --client-cert)
err-pem-missing = no se puede leer (no existe)
err-pem-denied = no se puede leer (permiso denegado)
err-pem-unreadable = no se puede leer ({ $kind })
err-pem-not-pem = no es PEM válido ({ $detail })
err-pem-no-certificate = no contiene ningún certificado PEM (ningún bloque BEGIN CERTIFICATE)
err-pem-no-key = no contiene ninguna clave privada PEM (ningún bloque BEGIN PRIVATE KEY)
err-pem-encrypted = está cifrada con una frase de paso, y las claves cifradas no se admiten. Descífrela una vez con `openssl pkey -in CLAVE -out CLARA.key` y mantenga ese archivo privado
err-pem-bad-key = no es una clave PEM válida ({ $detail })
err-pem-no-authority = no contiene ninguna autoridad de certificación utilizable
err-pem-unusable = no se puede usar ({ $detail })
err-pem-cert-version1 = no se puede usar: es un certificado X.509 versión 1 (sin extensiones), que la biblioteca TLS de stepwise no puede presentar, aunque una pasarela lo aceptara; pida a quien los emite un certificado versión 3
err-pem-cert-refused = no se puede usar: la biblioteca TLS rechaza este certificado; pida uno nuevo a quien los emite
err-proxy = el proxy de { $from } no sirve: { $why }. Indíquelo como http://HOST:PORT, o elimine { $from } para conectar directamente
err-proxy-socks = el proxy de { $from } es un proxy SOCKS ({ $scheme }://), y stepwise solo habla con proxies HTTP. Pida el proxy HTTP de la red e indíquelo como http://HOST:PORT, o elimine { $from } para conectar directamente
err-proxy-not-url = no es una URL ({ $detail })
err-proxy-scheme = el esquema { $scheme } no está admitido (solo proxies http://)
err-proxy-no-host = le falta el host
err-proxy-userinfo-chars = el usuario o la contraseña que lleva contiene \, /, ? o #, que una URL solo acepta ahí codificados en porcentaje: escriba \ como %5C (DOMINIO%5Cusuario), / como %2F, ? como %3F y # como %23
err-tls-setup = no se puede configurar TLS: { $detail }
# Dónde se guardan las sesiones: el llavero o el archivo de sesiones; { $why } y { $kind } son palabras del sistema
err-store-choice = STEPWISE_TOKEN_STORE debe ser keyring, file o auto, no { $value }
err-store-keyring-unusable = STEPWISE_TOKEN_STORE=keyring, pero el llavero no se puede usar: { $why }. { $fix }
err-store-nowhere = no hay ni llavero ni carpeta de datos donde guardar el token. Defina HOME, o indique un token con --token-file
err-store-no-data-dir = no hay carpeta de datos donde guardar el token; defina HOME
err-store-encode = no se puede codificar la sesión: { $detail }
err-store-unreadable = la sesión guardada para { $gateway } no se puede leer. Ejecute `stepwise logout` y luego `stepwise login`
err-store-too-slow = el llavero no respondió en { $secs } s. Desbloquéelo, o ponga STEPWISE_TOKEN_STORE=file
err-store-keyring-entry = el llavero rechazó una entrada para { $gateway }: { $why }
err-store-keyring-read = no se puede leer la sesión del llavero ({ $name }): { $why }. { $fix }
err-store-keyring-write = no se puede guardar la sesión en el llavero ({ $name }): { $why }. { $fix }
err-store-keyring-too-small = la sesión es demasiado larga para el llavero ({ $name }), que admite como máximo { $max } bytes por entrada. Ponga STEPWISE_TOKEN_STORE=file para guardarla en un archivo
err-store-keyring-remove = no se puede quitar la sesión del llavero ({ $name }): { $why }
keyring-no-bus = no se puede alcanzar ningún bus de sesión del escritorio (D-Bus), así que no se puede consultar ningún llavero (una sesión SSH o de servicio, o un contenedor, no lo tiene)
keyring-locked = el llavero está bloqueado, o se cerró su petición de desbloqueo
keyring-no-service = ningún servicio de llavero (Secret Service, como GNOME Keyring o KWallet) responde
keyring-malformed = el secreto guardado allí está dañado
keyring-other = el llavero respondió: { $detail }
keyring-fix-no-bus = Ejecute stepwise en la sesión del escritorio, o ponga STEPWISE_TOKEN_STORE=file
keyring-fix-locked = Desbloquéelo, o ponga STEPWISE_TOKEN_STORE=file
keyring-fix-start = Desbloquéelo o inícielo, o ponga STEPWISE_TOKEN_STORE=file
err-store-file-damaged = el archivo de sesiones { $path } está dañado: no es el JSON que escribe stepwise (se leyó, pero no se entendió). Contiene las sesiones guardadas de todas las pasarelas, y ninguna se puede usar: apártelo (o elimínelo)
err-login-file-damaged = { $why }, y luego vuelva a ejecutar este comando
err-store-file-read = no se puede leer el archivo de sesiones { $path }: { $kind }. Compruebe sus permisos
err-store-file-in-the-way = no se puede leer el archivo de sesiones { $path }: { $kind }. Mueva lo que estorba, para que la carpeta de datos sea una carpeta
err-store-file-is-folder = no se puede leer el archivo de sesiones { $path }: es una carpeta, no un archivo. Mueva o elimine esa carpeta (stepwise escribe sus sesiones en un archivo con ese nombre) y vuelva a iniciar sesión
err-store-file-remove = no se puede eliminar el archivo de sesiones { $path }: { $kind }
err-store-file-folder = no se puede crear la carpeta del archivo de sesiones { $path }: { $kind }. Compruebe los permisos de la carpeta de datos
err-store-file-create = no se puede crear el archivo de sesiones { $path }: { $kind }. Compruebe los permisos de la carpeta de datos
err-store-file-write = no se puede escribir el archivo de sesiones { $path }: { $kind }. Compruebe los permisos de la carpeta de datos
err-store-file-replace = no se puede reemplazar el archivo de sesiones { $path }: { $kind }. Compruebe los permisos de la carpeta de datos
# Iniciar sesión desde un terminal simple: stepwise login, logout y auth status
err-login-no-gateway = { $command } necesita una pasarela: indique --api URL (o STEPWISE_API, o `api` en el archivo de configuración). El simulador integrado no necesita inicio de sesión
cli-api-from-env = La dirección de la pasarela vino de STEPWISE_API, no de --api: corríjala allí, o indique --api (que tiene prioridad)
cli-api-from-config = La dirección de la pasarela vino de `api` en el archivo de configuración { $path }, no de --api: corríjala allí, o indique --api (que tiene prioridad)
err-login-cancelled = inicio de sesión cancelado; no se guardó nada
err-login-keep-failed = no se pudo guardar el token: { $detail }
err-login-read-failed = no se pudo leer el token: { $detail }
err-login-terminal = no se puede leer el token desde el terminal: { $kind }. Páselo por la entrada estándar: `stepwise login --with-token < token.txt`
err-login-stdin = no se puede leer el token de la entrada estándar: { $kind }. Páselo como texto, en una línea
err-login-token-lines = la entrada estándar tiene varias líneas, y un token es una sola: dé el token solo, en una línea (un token cortado por un correo o un terminal debe volver a unirse); no se guardó nada
err-login-token-refused = la pasarela { $gateway } rechazó este token (HTTP 401), así que no se guardó. Pida el token actual a quien gestiona la pasarela
err-login-token-dropped = el token no se guardó: la pasarela en { $gateway } responde como si no le hubiera llegado ningún token (su desafío no nombra ningún error), y la llamada pasó por el proxy { $proxy }, que puede quitar la cabecera Authorization, así que no se sabe si la pasarela acepta el token. Defina NO_PROXY={ $host } si la pasarela es accesible sin el proxy, o pida a quien gestiona el proxy que deje pasar la cabecera Authorization
err-login-token-untried-not-kept = el token no se guardó, porque no se pudo probar: { $why }. Guárdelo cuando el proxy deje pasar la petición (o NO_PROXY lo evite)
err-login-token-refused-signin = la pasarela en { $gateway } rechazó este token (HTTP 401), así que no se guardó. Esta pasarela ofrece inicio de sesión, cuyos tokens se renuevan solos: ejecute `stepwise login` (sin --with-token)
err-login-refused-through-proxy = La llamada pasó por el proxy { $proxy } (de { $from }), que puede quitar la cabecera Authorization por el camino, de modo que la pasarela no vio ningún token: antes que nada, ponga NO_PROXY={ $host } y vuelva a intentarlo, si la pasarela es accesible sin el proxy
err-login-token-scope = la pasarela en { $gateway } aceptó este token, pero dice que le falta el ámbito { $scope } (su WWW-Authenticate: insufficient_scope), así que los pasos se rechazarían con él: no se guardó. Pida a quien da los tokens uno con ese ámbito
err-login-token-scope-unnamed = la pasarela en { $gateway } aceptó este token, pero dice que le falta un ámbito que no nombra (su WWW-Authenticate: insufficient_scope), así que los pasos se rechazarían con él: no se guardó. Pregunte a quien gestiona la pasarela cuál, y pida a quien da los tokens uno que lo tenga
err-login-kept-unchanged = { $words }. La sesión guardada antes para esta pasarela no cambia
err-login-no-token = la entrada estándar no contiene ningún token utilizable: pase una línea de caracteres visibles (sin espacios), de 8 KiB como máximo
err-logout-failed = no se pudo quitar el token: { $detail }
err-logout-unreached = la revocación en el proveedor de identidad falló ({ $why }), así que la sesión se guarda aquí: su token de renovación sigue válido en el proveedor, y `stepwise logout` podrá revocarlo cuando se pueda contactar con el proveedor. Para olvidarla aquí sin revocarla, ejecute `stepwise logout --forget`
err-logout-wait = la revocación en el proveedor de identidad falló por ahora ({ $why }), y el proveedor pide esperar { $wait }, así que la sesión se guarda aquí: ejecute `stepwise logout` de nuevo tras esa espera para revocarla. Para olvidarla aquí sin revocarla, ejecute `stepwise logout --forget`
err-logout-proxy = la revocación en el proveedor de identidad falló: { $words }. La sesión se guarda aquí hasta que `stepwise logout` pueda revocarla; para olvidarla aquí sin revocarla, ejecute `stepwise logout --forget`
err-logout-unreached-access = la revocación en el proveedor de identidad falló ({ $why }), así que la sesión se guarda aquí: su token sigue válido en el proveedor hasta que caduque, y `stepwise logout` podrá revocarlo cuando se pueda contactar con el proveedor. Para olvidarla aquí sin revocarla, ejecute `stepwise logout --forget`
# El inicio de sesión por dispositivo de la pasarela: descubrimiento y respuestas del proveedor de identidad; { $said } es el error del propio proveedor
err-signin-endpoint-device = dirección
err-signin-endpoint-token = dirección de token
err-signin-endpoint-verification = dirección de verificación
err-signin-address-not-url = no es una URL
err-signin-address-plain-http = http simple detrás de una pasarela https
err-signin-address-not-http = no es una URL http(s)
err-signin-address-no-host = sin host
err-signin-address = la { $what } de inicio de sesión de la pasarela { $url } no sirve: { $why }. Avise al operador de la pasarela, o inicie sesión con `stepwise login --with-token`
err-signin-address-provider = la { $what } de inicio de sesión del proveedor de identidad { $url } no sirve: { $why }. El código no se puede aprobar allí: avise a quien gestiona el proveedor de identidad
err-signin-discovery-status = la pasarela en { $gateway } respondió HTTP { $status } al descubrimiento de inicio de sesión ({ $path }). Vuelva a intentarlo más tarde, o inicie sesión con `stepwise login --with-token`
err-signin-discovery-blocked = el descubrimiento del inicio de sesión en { $gateway } recibió una página web con HTTP { $status }{ $said }, no la respuesta de la pasarela: algo situado delante de la pasarela (un cortafuegos, un cortafuegos de aplicaciones o un proxy inverso) lo rechazó, así que no se sabe si la pasarela ofrece inicio de sesión. Pregunte a quien gestiona la red si bloquea esta dirección
err-signin-discovery-silent = la pasarela en { $gateway } aceptó la conexión, pero su descubrimiento de inicio de sesión ({ $path }) no respondió a tiempo. Vuelva a intentarlo más tarde; si continúa, avise al operador de la pasarela
err-signin-discovery-named = la pasarela en { $gateway } nombra sus metadatos de inicio de sesión en { $url } (en el desafío de su HTTP 401), y esa dirección no se pudo usar ({ $met }): la respuesta de la propia pasarela estaba bien, su dirección de inicio de sesión no. Avise a quien gestiona la pasarela; si conoce el proveedor de identidad de esta pasarela, indíquelo con --issuer (o STEPWISE_ISSUER, `issuer` en el archivo de configuración)
named-met-page = una página web, no metadatos JSON
named-met-not-http = no es una dirección http(s)
named-met-no-server = sus metadatos no nombran ningún servidor de autorización
err-signin-discovery-not-json = el documento de descubrimiento de inicio de sesión de la pasarela ({ $path }) no es JSON válido. Avise al operador de la pasarela, o inicie sesión con `stepwise login --with-token`
err-signin-issuer-not-json = los metadatos del proveedor de identidad ({ $url }) no son JSON válido: revise --issuer (o STEPWISE_ISSUER) si se dio, si no avise a quien gestiona la pasarela; o inicie sesión con `stepwise login --with-token`
err-signin-issuer-page = los metadatos del proveedor de identidad ({ $url }) son una página web{ $said }, no su JSON: la dirección es un sitio web o un portal, no el proveedor de identidad. Revise --issuer (o STEPWISE_ISSUER) si se dio, si no avise a quien gestiona la pasarela; si un portal responde en lugar del proveedor, pregunte a quien gestiona la red
err-signin-discovery-missing = el documento de descubrimiento de inicio de sesión de la pasarela no tiene { $field }: no ofrece inicio de sesión por dispositivo. Inicie sesión con `stepwise login --with-token`
err-login-no-device = --device pide un inicio de sesión por dispositivo, y el proveedor de identidad de { $gateway } no lo ofrece (sus metadatos no tienen device_authorization_endpoint). Inicie sesión sin --device en una máquina donde pueda abrirse un navegador, o guarde un token que dé quien gestiona la pasarela (`stepwise login --with-token`)
err-signin-not-offered-status = la pasarela en { $gateway } no ofrece inicio de sesión (no hay /.well-known/oauth-authorization-server, HTTP { $status }). Si --api es correcto, acepta un token fijo de quien la gestiona: guarde ese token con `stepwise login --with-token`
err-signin-not-offered = la pasarela en { $gateway } no ofrece inicio de sesión (no hay /.well-known/oauth-authorization-server). Si --api es correcto, acepta un token fijo de quien la gestiona: guarde ese token con `stepwise login --with-token`
err-login-not-needed = la pasarela en { $gateway } no ofrece inicio de sesión, y respondió sin token: aquí no necesita ninguno, así que no hay nada en lo que iniciar sesión ni nada que guardar. Ejecute `stepwise steps --car ID` tal cual
err-login-refused-at-once = sesión iniciada, pero la pasarela en { $gateway } rechazó el token que el proveedor de identidad acaba de emitir (HTTP 401, probado una vez): no acepta ninguno de los tokens de este proveedor tal como se piden. Pregunte a quien gestiona la pasarela qué audiencia y scopes quiere, e indique la audiencia con --audience o `audience` en el archivo de configuración; la sesión se guarda hasta entonces (`stepwise logout` la olvida)
err-login-scope-at-once = sesión iniciada, pero la pasarela en { $gateway } dice que al token que el proveedor de identidad acaba de emitir le falta el ámbito { $scope } (su WWW-Authenticate: insufficient_scope, probado una vez), así que los pasos se rechazarían con él. { $why } El inicio de sesión se guarda hasta entonces (`stepwise logout` lo olvida)
login-scope-not-granted = El proveedor solo concedió { $granted }: pida a su administrador que conceda { $scope } al cliente stepwise.
login-scope-asked = El inicio de sesión pidió { $scope }, así que volver a iniciarla pide lo mismo: pregunte al administrador del proveedor si concede { $scope } a stepwise, o al operador de la pasarela qué ámbito o audiencia quiere.
login-scope-not-asked = Vuelva a iniciar sesión pidiéndolo: `stepwise login --scope "{ $ask }"` (o `scopes` en el archivo de configuración).
err-signin-too-large = la respuesta de { $url } supera { $kib } KiB. Compruebe que --api apunta a una pasarela de pasos
err-signin-compressed-proxy = la llamada de inicio de sesión a { $url } volvió comprimida ({ $encoding }) a través del proxy { $proxy }, aunque stepwise pide las respuestas tal cual: el proxy, o el servidor detrás de él, las comprime. Pregunte a quien gestiona el proxy, o avise al operador de la pasarela; ponga NO_PROXY={ $host } si es accesible sin el proxy, lo que también muestra quién lo hace
err-signin-compressed = la llamada de inicio de sesión a { $url } volvió comprimida ({ $encoding }), aunque stepwise pide las respuestas tal cual: algo delante del proveedor de identidad las comprime. Avise al operador de la pasarela
err-signin-redirected = la llamada de inicio de sesión a { $url } recibió una redirección a { $to }; stepwise no envía códigos ni tokens de acceso a otra dirección. Pida al administrador de la pasarela la dirección propia del proveedor de acceso
err-signin-code-refused = el proveedor de identidad se negó a dar un código ({ $said }). Vuelva a intentarlo más tarde, o inicie sesión con `stepwise login --with-token`
err-signin-code-busy = el proveedor de identidad no puede dar un código por ahora ({ $said }). Espere un minuto y ejecute `stepwise login` de nuevo, o inicie sesión con `stepwise login --with-token`
err-signin-code-busy-wait = el proveedor de identidad no puede dar un código por ahora ({ $said }) y pide esperar { $wait }. Ejecute `stepwise login` de nuevo tras esa espera
err-signin-metadata-busy = el proveedor de identidad en { $issuer } no puede dar sus metadatos de inicio de sesión por ahora (HTTP { $status }): está ocupado o limitando peticiones, y el emisor es el correcto. Vuelva a intentarlo en un minuto
err-signin-metadata-busy-wait = el proveedor de identidad en { $issuer } no puede dar sus metadatos de inicio de sesión por ahora (HTTP { $status }) y pide esperar { $wait }: está ocupado o limitando peticiones, y el emisor es el correcto. Vuelva a intentarlo tras esa espera
err-signin-not-device-code = la respuesta del proveedor de identidad en { $url } no es un código de dispositivo (RFC 8628). Revise la dirección del emisor (--issuer, STEPWISE_ISSUER o `issuer` en el archivo de configuración) si se indica uno; si no, avise a quien gestiona la pasarela
err-signin-device-code-lacks = la respuesta del proveedor de identidad en { $url } es un código de dispositivo sin su { $member } (RFC 8628 §3.2), así que el inicio de sesión no puede seguir. Avise a quien gestiona el proveedor
err-signin-bad-device-code = el proveedor de identidad dio un código de dispositivo inutilizable. Revise la dirección del emisor (--issuer, STEPWISE_ISSUER o `issuer` en el archivo de configuración) si se indica uno; si no, avise a quien gestiona la pasarela
err-signin-unsafe-user-code = el proveedor de identidad dio un código que no se puede mostrar con seguridad ({ $code }). Revise la dirección del emisor (--issuer, STEPWISE_ISSUER o `issuer` en el archivo de configuración) si se indica uno; si no, avise a quien gestiona la pasarela
err-signin-not-token-answer = la respuesta de token del proveedor de identidad no sirve: no es una respuesta de token (RFC 6749). Revise la dirección del emisor (--issuer, STEPWISE_ISSUER o `issuer` en el archivo de configuración) si se indica uno; si no, avise a quien gestiona la pasarela
err-signin-not-bearer = la respuesta de token del proveedor de identidad no sirve: el token no es de tipo Bearer. Revise la dirección del emisor (--issuer, STEPWISE_ISSUER o `issuer` en el archivo de configuración) si se indica uno; si no, avise a quien gestiona la pasarela
err-signin-token-characters = la respuesta de token del proveedor de identidad no sirve: el token tiene caracteres que una cabecera no puede llevar. Revise la dirección del emisor (--issuer, STEPWISE_ISSUER o `issuer` en el archivo de configuración) si se indica uno; si no, avise a quien gestiona la pasarela
err-signin-token-empty = la respuesta de token del proveedor de identidad no es utilizable: su access_token está vacío. Avise a quien gestiona el proveedor; si se indica un emisor (--issuer, STEPWISE_ISSUER o `issuer` en el archivo de configuración), compruebe que es el correcto
err-signin-stopped = el proveedor de identidad detuvo el inicio de sesión ({ $said }). Ejecute `stepwise login` de nuevo
err-signin-grant-unsupported = el proveedor de identidad no ofrece el inicio de sesión con un código en otro dispositivo ({ $said }): iniciar sesión así de nuevo obtiene lo mismo. Inicie sesión en un navegador si lo ofrece (`stepwise login` sin --device, en una máquina con escritorio), o guarde un token con `stepwise login --with-token`; avise a quien gestiona el proveedor si el flujo de dispositivo debería funcionar
err-signin-code-too-short = el código del proveedor de identidad dura { $lives }, pero el proveedor pide que se le consulte solo cada { $every }: el código caduca antes de poder consultarse una sola vez, así que ninguna aprobación puede llegar (no se consultó nada). Avise a quien gestiona el proveedor: la duración o el intervalo de consulta de sus códigos de dispositivo están mal configurados
err-signin-code-expired-early = el proveedor de identidad dijo que el código caducó tras { $after }, aunque le había dado { $lives }: ninguna aprobación podría haber llegado antes. Su reloj o la vida de sus códigos está mal (o el código ya se usó): avise a quien gestiona el proveedor
err-signin-code-lifetime-none = el código de dispositivo del proveedor de identidad dura { $said } s según su respuesta (expires_in): caduca antes de que nadie pueda aprobarlo, así que no se consultó nada. Avise a quien gestiona el proveedor: la duración de sus códigos de dispositivo está mal configurada
err-signin-poll-failing = mientras el código esperaba la aprobación, el proveedor de identidad falló { $times } veces seguidas ({ $said }), así que se abandonó el inicio de sesión. Espere { $wait } y vuelva a iniciar sesión para obtener un código nuevo; si persiste, avise a quien gestiona el proveedor
err-signin-poll-failing-page = mientras el código esperaba la aprobación, la dirección de tokens del proveedor de identidad respondió { $times } veces seguidas con una página web ({ $said }): algo delante del proveedor (un balanceador de carga o un proxy inverso) está fallando, así que se abandonó el inicio de sesión. Espere { $wait } y vuelva a iniciar sesión para obtener un código nuevo; si persiste, avise a quien gestiona el proveedor
err-signin-limited = el proveedor de identidad está limitando las peticiones (HTTP 429) y pide esperar { $wait }, más de lo que dura el código. Ejecute `stepwise login` de nuevo tras esa espera
err-signin-refresh-failed = el proveedor de identidad no pudo renovar el token ({ $said }). Vuelva a intentarlo en un minuto
err-signin-refresh-failed-wait = el proveedor de identidad no pudo renovar el token por ahora ({ $said }) y pide esperar { $secs } s. Vuelva a intentarlo entonces
err-signin-renewal-lost = la renovación del token enviada a { $url } no recibió respuesta (la conexión se cerró o quedó muda tras la petición): puede que el proveedor de identidad renovara la sesión, gastando el token de renovación guardado aquí. Vuelva a intentarlo una vez; si entonces dice que la sesión está agotada, inicie sesión de nuevo con `stepwise login`
err-signin-renewal-lost-proxy = la renovación del token no tuvo respuesta: { $why }. Si la renovación llegó al proveedor de identidad, puede haber gastado el token de actualización guardado aquí: cuando el proxy deje pasar las peticiones, reintente; si entonces dice que el inicio de sesión se agotó, vuelva a iniciar sesión con `stepwise login`
err-signin-keeping-failed = no se pudo guardar el token: { $detail }. Inicie sesión de nuevo
err-signin-opening-failed = no se pudo abrir el almacén de tokens: { $detail }. Inicie sesión de nuevo
err-over-revoked = la sesión en { $gateway } caducó o fue revocada ({ $said })
err-over-spent = la sesión en { $gateway } la agotó una renovación anterior cuya respuesta se perdió por el camino ({ $said }): lo más probable es que el proveedor de identidad la renovara entonces, y el token de renovación guardado aquí ya está gastado
err-over-marked = el proveedor de identidad terminó la sesión en { $gateway } ({ $said })
err-over-client-refused = el proveedor de identidad rechaza el client id { $client } de la sesión en { $gateway } ({ $said }): no lo conoce, o ya no le deja renovar sesiones. Indique el id registrado allí para stepwise con --client-id ID o `client_id` en el archivo de configuración, o pregunte al administrador del proveedor si este cliente sigue permitido
err-over-no-renewal = el proveedor de identidad no deja que el client id { $client } renueve la sesión en { $gateway } ({ $said }): cada inicio de sesión dura lo que su token, y volver a pedirlo no lo cambiará. Para iniciar sesión con menos frecuencia, pida al administrador del proveedor que permita tokens de actualización para este cliente
err-over-renewal-refused = el proveedor de identidad se negó a renovar la sesión en { $gateway } ({ $said }), y rechazaría otra vez la misma petición
err-over-refused-fresh = la pasarela rechaza incluso un token que el proveedor de identidad acaba de renovar: no acepta ningún token de este proveedor tal como se pide, y volver a iniciar sesión igual da lo mismo. Pregunte a quien gestiona la pasarela qué audiencia y qué scopes espera, e indique la audiencia con --audience o `audience` en el archivo de configuración
err-over-refused-new = la pasarela rechaza un token que el proveedor de identidad emitió hace unos minutos y que no se puede renovar: no acepta ningún token de este proveedor tal como se pide, y volver a iniciar sesión igual da lo mismo. Pregunte a quien gestiona la pasarela qué audiencia y qué scopes espera, e indique la audiencia con --audience o `audience` en el archivo de configuración
err-over-refused-unseen = la pasarela responde como si no le llegara ningún token (su desafío no nombra ningún error), incluso con uno que el proveedor de identidad acaba de dar: algo entre esta máquina y la pasarela (un proxy, un balanceador de carga) puede estar quitando la cabecera Authorization, o la pasarela no acepta ningún token de este proveedor. Pregunte a quien gestiona la red y la pasarela; si la causa es el token, indique la audiencia que espera la pasarela con --audience o `audience` en el archivo de configuración
err-over-no-token-address = la sesión guardada no tiene una dirección de token utilizable

## stepwise doctor
# The words beside ✓ ! ✗ -, so no line depends on colour alone.
doctor-mark-ok = ok
doctor-mark-warning = aviso
doctor-mark-failed = fallo
doctor-mark-skipped = omitido
# The name of each check, in the order they are shown.
doctor-check-config = Configuración
doctor-check-device-id = Id dispositivo
doctor-check-gateway = Dirección pasarela
doctor-check-dns = Resolución nombre
doctor-check-proxy = Proxy
doctor-check-tcp = Conexión TCP
doctor-check-tls = TLS
doctor-check-client-cert = Certificado cliente
doctor-check-token = Token
doctor-check-clock = Reloj
doctor-check-first-list = Primera lista
doctor-check-refresh = Relectura stepsID
doctor-check-next-step = Siguiente paso
doctor-check-status-filter = Filtro de estado
doctor-check-error-body = Cuerpo de error
doctor-check-events = Eventos en tiempo real
doctor-check-guidance = Páginas cliente
doctor-summary = { $failed ->
        [one] { $failed } fallo
       *[other] { $failed } fallos
    }, { $warnings ->
        [one] { $warnings } aviso
       *[other] { $warnings } avisos
    }, { $ok } ok, { $skipped ->
        [one] { $skipped } omitido
       *[other] { $skipped } omitidos
    }
doctor-target-unusable = (ajustes inutilizables)
doctor-target-embedded = el simulador integrado
doctor-skip = no ejecutado
doctor-skip-settings = no ejecutado: los ajustes no sirven
doctor-skip-no-gateway = no ejecutado: no hay pasarela
doctor-skip-bad-address = no ejecutado: ninguna dirección de pasarela utilizable
doctor-skip-unreachable = no ejecutado: no se puede contactar con la pasarela
doctor-skip-proxy = no ejecutado: ningún paso a través del proxy
doctor-skip-insecure = no ejecutado: no hay conexión segura con la pasarela
doctor-skip-ca-file = no ejecutado: el archivo de CA no se puede usar
doctor-skip-run-limit = no ejecutado: se alcanzó el límite de { $limit } s de toda la ejecución de doctor (su respuesta más lenta hasta ahora tardó { $secs } s)
doctor-config-no-dir = no hay carpeta de configuración en este sistema: se aplican los valores por defecto
doctor-config-none = ningún archivo en { $path }: se aplican los valores por defecto
doctor-device-kept = guardado en { $path }
doctor-device-no-folder = no guardado: no se conoce ninguna carpeta de datos en esta máquina, así que cada ejecución es un dispositivo nuevo para la pasarela
doctor-config-read = { $path } leído
doctor-config-fix = Corrija el archivo, o haga que STEPWISE_CONFIG apunte a otro
doctor-gateway-no-sim = no hay pasarela configurada, y el simulador integrado no arranca: { $error }
doctor-gateway-unusable = { $address } no sirve: { $why }
doctor-gateway-fix = Indique --api como https://gateway.example o http://127.0.0.1:8080
doctor-gateway-fix-env = Corrija STEPWISE_API, de donde vino esta dirección (o indique --api, que tiene prioridad), como https://gateway.example o http://127.0.0.1:8080
doctor-gateway-fix-config = Corrija `api` en el archivo de configuración, de donde vino esta dirección (o indique --api, que tiene prioridad), como https://gateway.example o http://127.0.0.1:8080
doctor-gateway-embedded = ninguna configurada: el simulador integrado en { $url }
doctor-gateway-from-env = { $url } (de STEPWISE_API)
doctor-gateway-from-config = { $url } (de `api` en el archivo de configuración)
doctor-url-scheme = solo se admiten http y https
doctor-url-no-host = no tiene host
doctor-proxy-none = ninguno: conexión directa
doctor-proxy-no-proxy = NO_PROXY evita el proxy para { $host }: conexión directa
doctor-proxy-other-scheme = ninguno para pasarelas { $scheme }://: { $var } está definido, pero solo sirve a pasarelas del otro esquema; conexión directa. Si esta pasarela debe pasar por ese proxy, defina { $wanted } (o ALL_PROXY)
doctor-proxy-used = { $proxy } (de { $from })
doctor-proxy-407 = { $proxy } respondió a la llamada a la pasarela con 407 Proxy Authentication Required: pide usuario y contraseña
doctor-proxy-407-refused = { $proxy } respondió a la llamada a la pasarela con 407 Proxy Authentication Required: rechazó el usuario y la contraseña de la variable del proxy
doctor-proxy-401 = { $proxy } respondió a la llamada a la pasarela con HTTP 401 y un inicio de sesión (Basic): el del propio proxy, o el de un servidor web detrás de él
doctor-proxy-401-refused = { $proxy } respondió a la llamada a la pasarela con HTTP 401 y un inicio de sesión (Basic) aunque la variable del proxy lleva un usuario y una contraseña
doctor-proxy-answered = { $proxy } respondió él mismo a la llamada a la pasarela con HTTP { $status }: la petición nunca llegó a la pasarela
doctor-proxy-401-page = la llamada a la pasarela a través de { $proxy } recibió una página web HTTP 401 sin desafío: la del propio proxy, o una que reenvió desde delante de la pasarela (un portal, un proxy inverso), que pide un inicio de sesión propio
doctor-proxy-bare-401 = la llamada a la pasarela a través de { $proxy } recibió un HTTP 401 desnudo, sin cuerpo ni desafío: juzgado abajo como el de la pasarela (un token), aunque pudo darlo el propio proxy
doctor-proxy-gateway-down = { $proxy } tomó la llamada a la pasarela y respondió HTTP { $status }: no pudo llegar a la pasarela, que no está en marcha (vea Cuerpo de error)
doctor-proxy-tunnel = { $proxy } (de { $from }) { $why }
doctor-tunnel-timeout = no respondió a CONNECT en { $secs } s
doctor-tunnel-broken = cortó la petición CONNECT: { $error }
doctor-tunnel-refused = rechazó el túnel: { $status }
doctor-tunnel-limited = respondió él mismo { $status } a CONNECT: el proxy limita las solicitudes (ninguna regla contra este destino)
doctor-tunnel-none = respondió { $status } a CONNECT: no abre ningún túnel, así que es un servidor web, o un proxy que no puede llevar https://. No se consultó a la pasarela
doctor-tunnel-not-http = respondió a CONNECT sin HTTP ({ $said }): la variable del proxy nombra algo que no es un proxy HTTP
doctor-tunnel-closed = cerró la conexión sin responder a CONNECT: no se sabe si dejaría pasar el túnel. Vuelva a intentarlo; si persiste, pregunte a quien gestiona el proxy si deja pasar CONNECT hacia este host
doctor-tunnel-unreached = no pudo alcanzar la pasarela a través del túnel: { $status }
doctor-tunnel-password-wanted = pide usuario y contraseña para el túnel ({ $status }): póngalos en la variable del proxy como http://usuario:contraseña@proxy:puerto
doctor-tunnel-password-refused = rechazó el usuario y la contraseña de la variable del proxy ({ $status }): revíselos
doctor-tunnel-portal = respondió al túnel con { $status } y ningún desafío: un inicio de sesión propio (el de un portal), que ningún usuario y contraseña en la variable del proxy responde. Inicie sesión en él en un navegador de esta máquina, o pregunte a quien gestiona el proxy
doctor-tunnel-windows = pide un inicio de sesión de Windows para el túnel ({ $status }, Negotiate o NTLM), que stepwise no puede dar: ningún usuario y contraseña en la variable del proxy lo responde. Pida a quien gestiona el proxy que deje pasar este host sin él, o defina NO_PROXY para él si se puede alcanzar directamente
doctor-fix-proxy = Revise la variable del proxy, o ponga este host en NO_PROXY
doctor-fix-tunnel-refused = La variable del proxy es correcta: el proxy respondió y rechaza este destino. Pida a quien gestiona el proxy que deje pasar CONNECT a { $host }, o defina NO_PROXY={ $host } si la pasarela es accesible directamente
doctor-fix-tunnel-none = Revise { $from }: debe indicar un proxy HTTP que haga túnel de https (host y puerto; a menudo puerto 3128 u 8080)
doctor-fix-tunnel-retry = Reintente; si persiste, pregunte a quien gestiona el proxy, o defina NO_PROXY={ $host } si la pasarela es accesible directamente
doctor-fix-tunnel-unreached = El proxy no pudo alcanzar { $host }: compruebe que la pasarela funciona y que el host de --api es correcto; si lo es, pregunte a quien gestiona el proxy
doctor-dns-address = { $ip } es una dirección: nada que resolver
doctor-dns-address-proxy = el proxy { $ip } es una dirección: nada que resolver (el proxy resuelve el nombre de la pasarela)
doctor-dns-resolved-proxy = el proxy { $host } → { $addrs } (el proxy resuelve el nombre de la pasarela)
doctor-dns-failed = no se puede resolver { $host }: { $error }
doctor-dns-failed-proxy = no se puede resolver el proxy { $host }: { $error }
doctor-dns-fix = Revise el nombre de host en --api (o en la variable del proxy) y los ajustes DNS de este equipo
doctor-dns-fix-proxy = Revise el nombre del proxy en la variable del proxy y los ajustes DNS de esta máquina, o defina NO_PROXY para el host de la pasarela si se alcanza sin el proxy
doctor-proxy-unresolved = { $proxy } (de { $from }): su nombre es desconocido para el DNS de esta máquina
doctor-dns-timeout = sin respuesta para { $host } en { $secs } s
doctor-dns-timeout-proxy = sin respuesta para el proxy { $host } en { $secs } s
doctor-dns-timeout-fix = Revise los ajustes DNS de este equipo
doctor-tcp-no-address = ninguna dirección
doctor-tcp-timeout = { $addr }: sin respuesta en { $secs } s
doctor-tcp-failed = no se puede conectar con la pasarela: { $error }
doctor-tcp-failed-proxy = no se puede conectar con el proxy: { $error }
doctor-tcp-fix = Compruebe que la pasarela funciona, el puerto de --api y cualquier cortafuegos
doctor-tcp-connected = conectado a { $addr } en { $ms } ms
doctor-tcp-connected-proxy = conectado al proxy en { $addr } en { $ms } ms
doctor-tls-plain = no se usa: la dirección es http:// simple
doctor-tls-skipped-cert = no probado: el certificado cliente no sirve
doctor-tls-bad-name = { $host } no es un nombre TLS utilizable
doctor-tls-certificate = certificado
doctor-tls-issued = certificado para { $subject }, emitido por { $issuer }
doctor-tls-timeout = sin negociación TLS en { $secs } s
doctor-tls-timeout-fix = Compruebe que el puerto de --api habla TLS; si es así, avise a quien gestiona la pasarela
doctor-tls-trusted = { $version }; { $issued }; de confianza
doctor-tls-trusted-left = { $version }; { $issued }, { $days ->
        [one] queda { $days } día
       *[other] quedan { $days } días
    }; de confianza
doctor-tls-ends-soon = Avise a quien gestiona la pasarela de que su certificado caduca pronto
doctor-tls-asks-cert = { $issued }; de confianza; la pasarela pide un certificado cliente
doctor-tls-unknown-issuer = { $issued }: el emisor no es de confianza aquí (emisor desconocido)
doctor-tls-unknown-issuer-proxy = { $issued }: el emisor no es de confianza aquí (emisor desconocido) (a través del proxy { $proxy }, que puede inspeccionar el TLS)
doctor-tls-add-ca-file = Añada --ca-file { $path }
doctor-tls-add-ca-of = Añada --ca-file ARCHIVO, siendo ARCHIVO el certificado (PEM) de { $issuer }; pídalo al administrador de la red
doctor-tls-add-ca = Añada --ca-file ARCHIVO con el certificado (PEM) de la autoridad emisora
doctor-tls-use-ca-file = Use --ca-file { $path }: el archivo de autoridad en uso ({ $given }) no firmó este certificado
doctor-tls-ca-file-not-issuer = El archivo de autoridad en uso ({ $given }) no firmó este certificado: quizá contiene un certificado de servidor en lugar de su autoridad, o una autoridad rehecha desde entonces. Pida a quien gestiona la pasarela el certificado actual de su autoridad (PEM)
doctor-tls-intermediate-missing = El archivo de autoridad en uso ({ $given }) no contiene { $issuer }, que firmó este certificado, y la pasarela no envió ninguna autoridad intermedia con él. O la pasarela no envía su intermedia: pida a su operador que sirva la cadena completa (certificado, luego intermedias); mientras tanto, añadir el certificado de { $issuer } al archivo funciona. O el archivo contiene otra autoridad: pida el certificado de la autoridad de la pasarela (PEM) a su operador
doctor-tls-expired = { $issued }: caducado
doctor-tls-expired-ago = { $issued }: caducado hace { $days ->
        [one] { $days } día
       *[other] { $days } días
    }
doctor-fix-date-operator = Revise la fecha de este equipo; si es correcta, avise a quien gestiona la pasarela
doctor-tls-not-yet = { $issued }: aún no es válido
doctor-fix-date = Revise la fecha y la hora de este equipo
doctor-tls-wrong-host = { $issued }: no está hecho para el host de --api
doctor-tls-wrong-host-fix = Use en --api el nombre de host o la dirección para los que se hizo el certificado
doctor-tls-wrong-host-names = { $issued }: hecho para { $names }, no para el host de --api
doctor-tls-wrong-host-names-fix = Use en --api un nombre para el que se hizo el certificado ({ $names }), o pida un certificado de la pasarela para el nombre que usa
doctor-tls-no-host-names = { $issued }: no nombra ningún host (sin nombre alternativo del sujeto; el nombre común solo no se lee)
doctor-tls-no-host-names-fix = Haga reemitir el certificado de la pasarela con su nombre de host como nombre alternativo del sujeto; ningún --api lo arregla
doctor-tls-old-version = { $issued }: un certificado X.509 versión 1, que TLS ya no acepta
doctor-tls-old-version-fix = Haga emitir de nuevo el certificado de la pasarela en versión 3, con su nombre de host como nombre alternativo del sujeto; ningún --api, --ca-file ni certificado de cliente puede arreglarlo
doctor-tls-closed = el servidor aceptó la conexión y la cerró durante la negociación TLS: quizá no habla TLS en este puerto, o rechaza este cliente. Revise el puerto de --api
doctor-tls-authority-as-server = { $issued }: certificado de una autoridad (CA:TRUE) usado como el del servidor
doctor-tls-authority-as-server-fix = Pida a quien gestiona la pasarela que use un certificado de servidor firmado por esa autoridad; guarde el certificado de la autoridad para --ca-file
doctor-tls-not-tls = lo que respondió no habla TLS
doctor-tls-not-tls-fix = Revise el puerto, o use http:// si la pasarela no tiene TLS
doctor-tls-refused = la pasarela rechazó la negociación ({ $alert })
doctor-tls-refused-fix = Revise --api; si es correcto, avise a quien gestiona la pasarela
doctor-tls-wants-cert = la pasarela pide un certificado cliente
doctor-fix-client-cert = Indique uno con --client-cert ARCHIVO --client-key ARCHIVO
doctor-tls-other = falló: { $error }
doctor-tls-other-fix = Revise --api, --ca-file y el certificado cliente
doctor-tls-proxy-cut = el proxy { $proxy } abrió el túnel hacia { $host } y luego la negociación TLS a través de él se cortó ({ $why }): el proxy, o lo que hay detrás, la cortó
doctor-tls-proxy-cut-fix = Pregunte a quien gestiona el proxy si deja pasar TLS hacia este host, o defina NO_PROXY={ $host } si la pasarela se alcanza sin el proxy
doctor-cert-required = no se indicó ninguno, y la pasarela exige uno
doctor-cert-fix-config = Indique uno con --client-cert ARCHIVO --client-key ARCHIVO (o client_cert/client_key en el archivo de configuración)
doctor-cert-not-asked = no se indicó ninguno; la pasarela no lo pidió
doctor-cert-none = no se indicó ninguno
doctor-cert-none-plain = no se indicó ninguno (http:// simple)
doctor-cert-unusable-plain = no se presenta con http:// simple, pero no se podría presentar a una pasarela https://: { $why }
doctor-cert-about = { $path }: { $subject }, emitido por { $issuer }
doctor-cert-refused = { $about }: la pasarela lo rechazó ({ $alert })
doctor-cert-unsupported = { $about }: la pasarela lo rechazó por no admitido; casi siempre no está hecho para un cliente (el certificado de un servidor)
doctor-cert-fix-client-use = Use un certificado emitido para autenticación de cliente
doctor-cert-expired-said = { $about }: según la pasarela, ha caducado
doctor-cert-not-taken = { $about }: la pasarela no lo aceptó
doctor-cert-fix-authority = Use un certificado emitido por la autoridad en la que confía la pasarela
doctor-cert-expired = { $about }: caducado hace { $days ->
        [one] { $days } día
       *[other] { $days } días
    }
doctor-cert-fix-new = Pida un certificado cliente nuevo
doctor-cert-not-yet = { $about }: aún no es válido
doctor-cert-ends-soon = { $about }: { $days ->
        [one] queda { $days } día
       *[other] quedan { $days } días
    }
doctor-cert-fix-soon = Pida pronto un certificado cliente nuevo
doctor-cert-ok-left = { $about }; la clave coincide; { $days ->
        [one] queda { $days } día
       *[other] quedan { $days } días
    }
doctor-cert-ok = { $about }; la clave coincide
doctor-source-config-token = el token del archivo de configuración
doctor-source-config-token-file = el token_file del archivo de configuración { $path }
doctor-source-nowhere = ninguna parte
doctor-token-wanted = no se indicó ninguno, y la pasarela quiere uno
doctor-token-wanted-said = no se indicó ninguno, y la pasarela quiere uno (HTTP 401), diciendo «{ $said }»
doctor-token-fix-give = Inicie sesión con `stepwise login`, o indique uno con --token-file RUTA, STEPWISE_TOKEN o `token` en el archivo de configuración
doctor-token-fix-fixed = No ofrece inicio de sesión: su token lo da quien la gestiona. Guarde ese token con `stepwise login --with-token`, o délo con --token-file RUTA, STEPWISE_TOKEN o `token` en el archivo de configuración
doctor-token-embedded = el simulador integrado no necesita ninguno
doctor-token-not-asked = no se indicó ninguno; la pasarela no lo pidió
doctor-token-not-checked = no se indicó ninguno; sin comprobar: ninguna pasarela de pasos respondió
doctor-token-not-checked-unusable = no se indicó ninguno; sin comprobar: lo que respondió no se pudo usar (la línea Primera lista dice cómo)
doctor-token-none-limited = no se indicó ninguno; sin comprobar: las peticiones están limitadas (HTTP 429)
doctor-token-none-failing = no se indicó ninguno; sin comprobar: las respuestas fueron fallos (HTTP 5xx)
doctor-fix-proxy-password = El proxy pide usuario y contraseña: póngalos en la variable del proxy (http://usuario:contraseña@proxy:puerto)
doctor-fix-proxy-password-refused = El proxy rechazó el usuario y la contraseña de la variable del proxy: revíselos (caracteres como @ : / % deben ir codificados en porcentaje)
doctor-fix-not-a-gateway = Esta dirección no es una pasarela de pasos: dé a --api la URL base bajo la que está pims/subscription/steps
doctor-fix-client-cert-front = La entrada TLS de la pasarela pide un certificado de cliente: indique uno con --client-cert ARCHIVO --client-key ARCHIVO
doctor-fix-gateway-failed = La pasarela falló: vuelva a intentarlo en un minuto; si persiste, avise a quien gestiona la pasarela
doctor-fix-call-not-offered = La lista funciona con esta --api: la pasarela no ofrece esta llamada, o algo delante de ella no la encamina. Avise al operador de la pasarela
doctor-fix-proxy-5xx = El proxy respondió con su propia página de error: no pudo alcanzar la pasarela. Revise el host y el puerto de --api y que la pasarela funcione; si son correctos, pregunte a quien gestiona el proxy
doctor-fix-proxy-loopback = La pasarela está en esta máquina ({ $host }), y { $from } envía sus peticiones a ese proxy: este (o un proxy al que reenvía) no alcanza las direcciones propias de esta máquina. Ponga NO_PROXY={ $host }
doctor-fix-loopback-down = Nada escucha en { $host }:{ $port } en esta máquina (probado directamente): la pasarela no se ejecuta allí, así que el proxy tampoco pudo alcanzarla. Compruebe que se ejecuta y que el puerto de --api es el correcto
doctor-guidance-not-a-page = respondió 200 con { $kind } y sin idioma: no es una página de guía (¿la página comodín de un portal?), así que el código QR lleva a docs_base_url, o a las páginas de desarrolladores archivadas
doctor-token-embedded-given = origen: { $source }; no se envía al simulador integrado
doctor-token-expired = origen: { $source }; caducado hace { $ago }
doctor-token-fix-new = Consiga un token nuevo
doctor-token-login-unreadable = no se envió ninguno: { $why }
doctor-token-fix-login-damaged = Una vez apartado, vuelva a iniciar sesión con `stepwise login`, o indique un token con --token-file RUTA, STEPWISE_TOKEN o `token` en el archivo de configuración
doctor-token-login-unreadable-unneeded = no se envió ninguno, y la pasarela respondió sin token. Sesión guardada: { $why }
doctor-token-expired-taken = de { $source }; su caducidad dice que terminó hace { $ago }, pero la pasarela lo aceptó
doctor-token-fix-new-soon = Obtener un token nuevo antes de que la pasarela empiece a rechazar este
doctor-token-refused = origen: { $source }; la pasarela lo rechazó (HTTP 401)
doctor-token-dropped = origen: { $source }; la pasarela responde como si no le hubiera llegado ningún token (su desafío no nombra ningún error), y la petición pasó por el proxy { $proxy }: puede que el proxy quite la cabecera Authorization
doctor-token-refused-said = origen: { $source }; la pasarela lo rechazó (HTTP 401) diciendo «{ $said }»
doctor-token-scope = origen: { $source }; la pasarela lo aceptó, pero dice que le falta un ámbito (HTTP { $status }, insufficient_scope)
doctor-token-fix-refused = Consiga un token nuevo, o compruebe que es para esta pasarela
doctor-token-fix-dropped = Un token nuevo se rechazaría igual: defina NO_PROXY para este host si la pasarela es accesible sin el proxy, o pida a quien gestiona el proxy que deje pasar la cabecera Authorization
doctor-token-fix-beside-file = La pasarela acepta una sesión guardada para ella (probada ahora mismo), y --token-file tiene prioridad sobre ella: quite --token-file para usar esa sesión, o ponga en ese archivo el token actual de esta pasarela
doctor-token-fix-beside-environment = La pasarela acepta una sesión guardada para ella (probada ahora mismo), y STEPWISE_TOKEN tiene prioridad sobre ella: elimine STEPWISE_TOKEN para usar esa sesión, o asígnele el token actual de esta pasarela
doctor-token-fix-beside-refused = La sesión guardada para esta pasarela también se rechaza (probada ahora mismo): consiga el token actual de esta pasarela y renueve la sesión guardada (`stepwise login`, o `stepwise login --with-token` si la pasarela no ofrece inicio de sesión)
doctor-token-expires = origen: { $source }; caduca en { $within }
doctor-token-not-tried = origen: { $source }; no probado (no se llegó a la pasarela)
doctor-token-not-tried-unusable = origen: { $source }; sin juzgar: lo que respondió no se pudo usar (la línea Primera lista dice cómo)
doctor-token-failing = origen: { $source }; sin juzgar: cada respuesta fue un fallo (HTTP 5xx), que no dice nada del token
doctor-token-limited = origen: { $source }; no probado: las peticiones están limitadas (HTTP 429)
doctor-token-took = origen: { $source }; la pasarela lo aceptó (su caducidad no va escrita en él)
doctor-token-unchecked = origen: { $source }; enviado, pero la pasarela responde también sin token: aquí no comprueba ninguno, así que no aceptó ni rechazó este
doctor-token-renewed = origen: { $source }; la pasarela rechazó el token guardado (HTTP 401) y aceptó el renovado para ella, como lo renueva cada orden
doctor-token-renewal-failed = origen: { $source }; la pasarela lo rechazó (HTTP 401), y renovarlo, como haría cada orden, falló: { $why }
doctor-token-due-renewal-failed = origen: { $source }; su token había caducado, y renovarlo, como haría cada orden, falló: { $why }
doctor-why-timeout = sin respuesta en { $secs } s
doctor-http-setup = no se puede preparar HTTP: { $error }
doctor-no-answer = ninguna respuesta utilizable: { $why }
doctor-not-a-list = la respuesta no es una lista de pasos: { $error }
doctor-not-a-step = la respuesta no es un paso: { $error }
doctor-fix-steps-gateway = Compruebe que --api apunta a una pasarela de pasos
doctor-fix-not-a-list-here = --api responde como una pasarela de pasos (la línea Cuerpo de error): lo que falla es su respuesta para este carAssociationID. Avise a quien gestiona la pasarela; doctor con el id de otro vehículo muestra si otros obtienen su lista
doctor-fix-proxy-html = La respuesta llegó a través del proxy: la página puede ser la del propio proxy (una página de acceso o un portal). Defina NO_PROXY={ $host } si la pasarela se alcanza sin el proxy; si no, compruebe que --api apunta a una pasarela de pasos
doctor-list-cut = la lista se cortó: { $error }
doctor-fix-cut = Reintente; si sigue cortada, la pasarela o algo en el camino (un proxy) corta sus respuestas: avise a quien gestiona la pasarela
doctor-fix-no-answer = Reintente; si persiste, la pasarela o algo situado delante (un proxy, un balanceador de carga) descarta esta llamada: avise al operador de la pasarela
doctor-fix-unusable = Llegó una respuesta, pero ninguna que stepwise pueda usar, y volver a pedir da lo mismo: haga lo que dicen las palabras de arriba
doctor-fix-network-proxy = Respondió un proxy de esta red, aunque aquí no hay ninguno configurado: configure HTTPS_PROXY (HTTP_PROXY para http://) como http://usuario:contraseña@proxy:puerto con su dirección, o consulte al administrador de la red
doctor-fix-limited = La pasarela está limitando las peticiones: espere un minuto y vuelva a ejecutar doctor
doctor-fix-wait = La pasarela pide esperar { $secs } s: vuelva a ejecutar doctor después; si persiste, avise a quien gestiona la pasarela
doctor-fix-refused-front = Algo delante de la pasarela (un cortafuegos, un WAF o un proxy inverso) rechazó la petición: pida a quien lo gestiona que deje pasar este equipo
doctor-fix-refused-proxy = El proxy, o algo delante de la pasarela, rechazó la petición: pregunte a quien gestiona el proxy si deja pasar esta dirección, o configure NO_PROXY para este host si la pasarela se alcanza sin el proxy
doctor-fix-proxy-bare-401 = Dé primero el token de la pasarela (vea la línea Token); si el 401 sigue con un token, pregunte a quien gestiona el proxy si pide un inicio de sesión propio, o ponga NO_PROXY={ $host } si la pasarela es accesible directamente
doctor-error-body-no-answer = ninguna respuesta utilizable de la pasarela: { $why }
doctor-error-body-no-answer-fix = Compruebe que la pasarela funciona y no está saturada, y vuelva a intentarlo
doctor-error-body-dropped = una petición sin id no obtuvo respuesta ({ $why }) donde una pasarela responde 400 con un mensaje JSON; la primera lista se pidió igualmente por carAssociationID
doctor-why-wants-tls = el servidor en { $base } habla TLS, y --api dice http://
doctor-fix-use-https = Use https:// en --api (el servidor habla TLS)
doctor-clock-skipped = no ejecutado: ninguna pasarela de pasos respondió
doctor-clock-unusable = no ejecutado: lo que respondió no se pudo usar (la línea Primera lista dice cómo)
doctor-clock-limited = no ejecutado: las peticiones están limitadas (HTTP 429); ejecute doctor de nuevo tras la espera
doctor-clock-failed = no ejecutado: la respuesta fue un fallo (HTTP { $status }), sin lista ni cuerpo de error de la pasarela en que leer el reloj
doctor-error-body-ok = una petición sin id recibe 400 con un mensaje JSON ({ $message })
doctor-error-body-other-shape = una petición sin id recibe 400 con un mensaje JSON de otra forma habitual (RFC 7807 u OAuth), que stepwise lee ({ $message })
doctor-error-body-code-only = solo código
doctor-error-body-not-json = una petición sin id recibe 400, pero sin cuerpo JSON { $shape }
doctor-fix-error-json = Avise a quien gestiona la pasarela: los cuerpos de error deben ser JSON
doctor-fix-error-400 = Avise al operador de la pasarela: una petición sin id debería recibir 400 con su cuerpo de error. Solo si la línea Primera lista también falló, revise que --api apunte a una pasarela de pasos
doctor-fix-error-400-no-car = Puede que no sea una pasarela de pasos en absoluto: vuelva a ejecutar con --car ID. Si entonces la línea Primera lista funciona, avise al operador de la pasarela de que una petición sin id debería recibir 400; si no, revise que --api apunte a una pasarela de pasos
doctor-error-body-401 = no comprobado: la pasarela quiere antes un token válido (HTTP 401)
doctor-error-body-unjudged = no juzgado: la primera lista tampoco encontró una pasarela de pasos en esta dirección
doctor-error-body-unjudged-failed = no juzgado: la primera lista tampoco obtuvo respuesta
doctor-error-body-unjudged-unusable = no juzgado: la respuesta de la primera lista tampoco se pudo usar
doctor-error-body-proxy = no juzgado: el proxy respondió en lugar de la pasarela
doctor-error-body-gateway-down = sin juzgar: la pasarela no está en marcha en { $host }:{ $port } (nada escucha allí, probado directamente)
doctor-error-body-limited = no juzgado: las peticiones están limitadas (HTTP 429)
doctor-error-body-other = una petición sin id recibe { $answer } en vez de 400
doctor-error-body-failing = sin juzgar: una petición sin id recibe { $answer }, un fallo que no dice nada de cómo responde la pasarela a una petición errónea
doctor-first-no-car = no probado: no se indicó carAssociationID
doctor-first-no-car-fix = Vuelva a ejecutar con --car ID para probar las llamadas de pasos
doctor-first-401 = HTTP 401: la pasarela quiere un token válido
doctor-first-proxy-login = HTTP 401 con un inicio de sesión (Basic) del proxy, no de la pasarela: la petición nunca llegó a la pasarela
doctor-first-proxy-page = HTTP 401 con una página web sin desafío, a través del proxy: la del propio proxy, o una que reenvió desde delante de la pasarela (un portal, un proxy inverso), no una petición de token de una pasarela
doctor-first-proxy-page-401 = HTTP 401 con una página web sin cuerpo de error de pasarela, a través del proxy: la del propio proxy, o una que reenvió desde delante de la pasarela (un portal, un proxy inverso)
doctor-basic-prompt = HTTP 401 que pide un inicio de sesión al que un token bearer no puede responder (usuario y contraseña, o inicio de sesión de Windows), sin el cuerpo de error de una pasarela: el inicio de sesión de un servidor web o de un proxy inverso, no una pasarela de pasos (que acepta un token bearer)
doctor-front-401 = HTTP 401 con una página web y sin desafío de inicio de sesión (sin cabecera WWW-Authenticate), sin cuerpo de error de una pasarela: algo delante de la pasarela (un proxy inverso, un servidor web o un portal) pide un inicio de sesión propio; no se juzgó ningún token
doctor-fix-front-401 = Si antes llegaron listas de esta dirección sin token, no falta ningún token de la pasarela: pregunte a quien gestiona la red o la pasarela qué pide este inicio de sesión; si no, pregúnteles si la pasarela quiere un token ahí
doctor-see-token = Vea la línea Token
doctor-see-proxy = Vea la línea Proxy
doctor-first-fix-car = Revise el carAssociationID indicado con --car
doctor-first-fix-demo = No hay ninguna pasarela configurada (ni --api, ni STEPWISE_API, ni `api` en el archivo de configuración), así que doctor comprobó la demo integrada, que solo conoce { $ids }: para comprobar su pasarela, dé --api URL
doctor-first-fix-filter = Las palabras de la pasarela nombran el filtro de estado (stepsStatus), que doctor no eligió: pidió todos los pasos con stepsStatus=all, el valor por defecto del contrato (steps y el asistente vuelven a pedir entonces sin él). Avise al operador de la pasarela
doctor-first-fix-car-or-api = Sus palabras no nombran ningún id: revise el carAssociationID dado con --car; si la línea Cuerpo de error recibe el mismo 404 para una llamada sin id, --api no apunta a la pasarela de pasos (el 404 propio de un enrutador): revise --api
doctor-first-no-steps-id = { $count ->
        [one] { $count } paso
       *[other] { $count } pasos
    } pero ningún stepsID
doctor-first-fix-steps-id = Avise a quien gestiona la pasarela: la lista debe llevar un stepsID
doctor-first-ok = carAssociationID { $car }: { $count ->
        [one] { $count } paso
       *[other] { $count } pasos
    } ({ $done } { $done ->
        [one] hecho
       *[other] hechos
    }), stepsID { $steps_id }
doctor-first-slow = La pasarela tardó hasta { $secs } s en responder: lento, aunque dentro de los { $limit } s que espera el asistente (una pasarela cargada, o una línea lenta)
doctor-refresh-ok = { $count ->
        [one] { $count } paso
       *[other] { $count } pasos
    }
doctor-refresh-fix = La lista releída nombra otros pasos que la primera: avise a quien gestiona la pasarela
doctor-next-todo = { $name } pendiente
doctor-next-none = no queda nada por hacer
doctor-next-nothing = nada
doctor-next-disagrees = { $got }, pero la lista dice { $listed }
doctor-next-fix = Avise a quien gestiona la pasarela: el siguiente paso no coincide con la lista
doctor-filter-ok = stepsStatus=todo devuelve { $todo ->
        [one] el único paso pendiente
       *[other] los { $todo } pasos pendientes
    }
doctor-filter-bad = stepsStatus=todo devuelve { $count ->
        [one] { $count } paso
       *[other] { $count } pasos
    } ({ $stray } no pendientes); la lista tiene { $todo } pendientes
doctor-filter-unknown = { $bad }; y { $unknown } más con un estado fuera del contrato, que stepwise cuenta como no hechos
doctor-filter-fix = Avise a quien gestiona la pasarela: stepsStatus no se aplica
doctor-events-ok = ofrecidos, y su primer evento (la lista actual) llegó al instante: el asistente sigue los cambios en tiempo real
doctor-events-silent = el flujo se abrió, pero no llegó ningún evento en { $secs } s, aunque una pasarela envía la lista actual al instante: algo en el camino (un proxy) retiene los eventos. El asistente se reconecta y luego consulta periódicamente
doctor-events-other-type = el flujo se abrió y envió eventos de tipo «{ $kind }», pero ninguno de tipo steps en { $secs } s: sus listas llegan con otro tipo de evento que el del contrato, y el asistente no lee ninguna. El asistente se reconecta y luego consulta periódicamente
doctor-events-no-list-events = el flujo se abrió y solo envió eventos de tipo «{ $kind }», sin lista dentro, y ninguna lista en { $secs } s, aunque una pasarela envía la lista actual de inmediato. El asistente se reconecta y luego consulta periódicamente
doctor-events-fix-other-type = Avise a quien gestiona la pasarela: cada lista debe llegar como `event: steps` (o sin línea event), no como «{ $kind }»
doctor-events-cut = el flujo se cerró antes de que su primer evento estuviera completo (tras { $bytes } bytes): la pasarela lo cortó, así que el asistente se reconecta y luego consulta
doctor-events-empty = la llamada de eventos respondió y terminó sin enviar nada (0 bytes): no sirve ningún flujo de eventos, así que el asistente se reconecta y luego consulta
doctor-events-not-text = los bytes del flujo no son texto UTF-8: el asistente lo corta, se reconecta y luego consulta
doctor-events-error-event = el primer evento es un error, no la lista actual: { $said }
doctor-events-fix-buffered = Pida a quien gestiona el proxy que deje pasar text/event-stream sin búfer (nginx: proxy_buffering off)
doctor-events-fix-buffered-direct = Aquí no se usa ningún proxy: avise al operador de la pasarela de que la pasarela, o un proxy inverso delante de ella, retiene los eventos o no envía la lista actual enseguida (nginx: proxy_buffering off)
doctor-events-other-list = el primer evento es la lista de otro stepsID distinto del pedido: el asistente no la toma
doctor-events-bad-event = el primer evento no es una lista de pasos ({ $error }): el asistente pasa a consultar periódicamente
doctor-events-compressed = el flujo llegó comprimido, aunque stepwise no lo pide: el asistente consulta periódicamente en su lugar
doctor-events-fix-compressed = Pida a quien gestiona la pasarela (o el proxy) que envíe text/event-stream sin comprimir
doctor-events-not-stream = responde, pero no con text/event-stream: el asistente consulta periódicamente
doctor-events-page = respondió con una página web (HTML), no con text/event-stream: algo delante de la pasarela (un proxy, un cortafuegos) puede estar bloqueando los flujos; el asistente consulta periódicamente
doctor-events-fix = Avise a quien gestiona la pasarela: los eventos en tiempo real deben ser Server-Sent Events
doctor-events-fix-page = Pida a quien gestiona la red delante de la pasarela (un proxy, un cortafuegos) que deje pasar text/event-stream; si no hay nada delante, avise al operador de la pasarela
doctor-events-fix-2346 = Avise a quien gestiona la pasarela: su llamada de eventos rechaza stepsIDs que su llamada de lista responde
doctor-events-fix-content = Avise al operador de la pasarela: cada evento debe llevar como datos la lista de pasos del stepsID pedido
doctor-events-fix-cut = Avise al operador de la pasarela (o a quien gestione un proxy inverso delante de ella) de que su flujo de eventos se cierra en medio del primer evento
doctor-events-fix-empty = Diga al operador de la pasarela (o a quien gestiona un proxy inverso delante de ella) que su llamada de eventos termina enseguida sin transmitir: quizá un proxy la retiene o la corta
doctor-events-fix-error-event = Avise al operador de la pasarela de lo que dijo su flujo de eventos: un flujo debe empezar con la lista actual del stepsID pedido, que la llamada de lista acaba de dar
doctor-events-404 = no ofrecidos (404): el asistente consulta periódicamente
doctor-events-2346 = rechazado (404, código 2346): el flujo dice no tener ningún paso para el stepsID { $id }, que la llamada de lista acaba de dar: la pasarela se contradice. El asistente consulta en su lugar
doctor-events-http = { $answer }: el asistente consulta periódicamente
doctor-events-limited = { $answer }: la pasarela limita el flujo. El asistente espera { $secs } s, como pide la pasarela, con toda solicitud a ella, y luego vuelve a abrir el flujo: la lista en pantalla no se actualiza entretanto
doctor-events-limited-unnamed = { $answer }: la pasarela limita el flujo. El asistente espera lo que pida la pasarela, con toda solicitud a ella, y luego vuelve a abrir el flujo: la lista en pantalla no se actualiza entretanto
doctor-events-no-answer = sin respuesta ({ $why }): el asistente vuelve a abrir el flujo esperando cada vez más, y solo consulta periódicamente si entretanto llega una lista
doctor-events-proxy-held = sin respuesta a través del proxy { $proxy }, aunque las llamadas de lista a través de él sí se respondieron: el proxy retiene una respuesta que no termina (almacena en búfer el flujo de eventos). El asistente consulta periódicamente en su lugar
doctor-events-proxy-own = el proxy { $proxy } respondió él mismo HTTP { $status } al flujo de eventos, aunque las llamadas de lista a través de él tuvieron respuesta: el proxy no transmite el flujo. El asistente consulta en su lugar
doctor-events-fix-proxy-held = Pida a quien gestiona el proxy que deje pasar text/event-stream sin búfer, o defina NO_PROXY={ $host } si la pasarela es accesible sin él
doctor-guidance-ok = ofrecidas: el código QR y la tecla «o» abren la página de la pasarela en el idioma del cliente
doctor-guidance-404 = no ofrecidas (404): el código QR lleva a docs_base_url, o a las páginas archivadas para desarrolladores
doctor-guidance-http = { $answer }: el código QR lleva a docs_base_url, o a las páginas archivadas para desarrolladores
doctor-guidance-no-answer = sin respuesta ({ $why }): el código QR lleva a docs_base_url, o a las páginas archivadas para desarrolladores
doctor-clock-no-date = la pasarela no envía cabecera Date: no se pueden comparar los relojes
doctor-clock-bad-date = la cabecera Date de la pasarela { $date } no se puede leer
doctor-clock-ahead = el reloj de este equipo va { $secs } s adelantado respecto a la pasarela
doctor-clock-behind = el reloj de este equipo va { $secs } s atrasado respecto a la pasarela
doctor-clock-fix = Compruebe la fecha y la hora de esta máquina: si son correctas, el reloj de la pasarela está mal (avise a su operador); si no, ajuste el reloj de esta máquina (NTP): las comprobaciones de tokens y certificados dependen de él
doctor-clock-fix-gateway = El reloj de la pasarela está mal: su fecha ({ $date }) es anterior a la creación de este programa. Avise al operador de la pasarela; deje el reloj de esta máquina como está
doctor-clock-fix-ours = El reloj de esta máquina está mal: indica una fecha anterior a la creación de este programa. Ajústelo (NTP): las comprobaciones de tokens y certificados dependen de él
doctor-clock-ok = como mucho { $secs } s de diferencia con la pasarela

## The command line's own errors (clap's error kinds, in words of the catalogue)

help-cli-options-placeholder = [OPCIONES]
help-cli-value-file = ARCHIVO
help-cli-value-path = RUTA
help-cli-value-seconds = SEGUNDOS
help-cli-value-dir = CARPETA
help-cli-value-mode = MODO
help-cli-value-status = ESTADO
help-cli-value-shell = SHELL
help-cli-value-lang = IDIOMA
help-cli-value-token = TOKEN
help-cli-value-addr = DIRECCIÓN
cli-clap-missing-value = '{ $arg }' necesita un valor y no se ha dado ninguno
cli-clap-invalid-value = valor '{ $value }' no válido para '{ $arg }'
cli-clap-possible-values = valores posibles: { $values }
cli-clap-unknown-argument = argumento inesperado '{ $arg }'
cli-arg-token-as-argument = login --with-token lee el token de la entrada estándar, nunca de la línea de órdenes, donde el historial de la shell y la lista de procesos lo guardan (el valor dado no se muestra): `stepwise login --with-token < token.txt`, o ejecute `stepwise login --with-token` y péguelo
cli-clap-unknown-command = comando desconocido '{ $name }'
cli-clap-missing-required = faltan estos argumentos obligatorios: { $args }
cli-clap-only-with = { $given } solo vale con { $needed }: añada { $needed } o quite { $given }
cli-clap-range = indique un número de { $low } a { $high }
cli-clap-conflict = el argumento '{ $arg }' no se puede usar con { $other }
cli-clap-repeated = el argumento '{ $arg }' solo se puede dar una vez
cli-clap-extra-value = valor inesperado '{ $value }' para '{ $arg }'
cli-clap-needs-command = '{ $name }' necesita un comando: { $values }
cli-clap-did-you-mean = ¿quiso decir '{ $suggestion }'?
cli-no-watch-command = no hay ningún comando watch: el seguimiento es la tecla w del asistente (`stepwise --car ID`, luego w; para muchos vehículos `stepwise fleet --cars ARCHIVO`, luego w); un script vuelve a pedir `stepwise steps --car ID`
cli-clap-try-help = Para más información, pruebe '--help'.
cli-clap-other = no se puede leer la línea de comandos

## The manual page's section headings (stepwise man)

man-section-name = NOMBRE
man-section-synopsis = SINOPSIS
man-section-description = DESCRIPCIÓN
man-section-options = OPCIONES
man-section-extra = NOTAS
man-section-version = VERSIÓN
man-section-authors = AUTORES
man-section-environment = ENTORNO
man-env-token = El token bearer de la pasarela (sin ella, se usa la sesión guardada)
man-env-docs-url = Las páginas de ayuda del concesionario, adonde llevan los enlaces de la guía del técnico (docs_base_url en el archivo de configuración)
man-env-token-store = Dónde guarda login los tokens: keyring, file o auto (predeterminado)
man-env-config = El archivo de configuración que se lee en lugar del predeterminado (stepwise doctor muestra su ruta)
man-env-log = El filtro del registro, p. ej. debug o stepwise=trace (predeterminado info); los registros van a la carpeta logs de la carpeta de datos
man-env-no-color = Definida y no vacía: sin color en pantalla
man-section-files = ARCHIVOS
man-section-keys = TECLAS
man-files-config = El archivo de configuración (STEPWISE_CONFIG indica otro; en macOS y Windows está en la carpeta del sistema, que stepwise doctor muestra)
man-files-device-id = El id de dispositivo de esta instalación, enviado con cada petición
man-files-recent = Los últimos carAssociationID abiertos, guardados por pasarela y ofrecidos en la pantalla de inicio cuando se vuelve a usar la misma pasarela
man-files-logins = Las sesiones guardadas por stepwise login cuando no se usa un llavero, legibles solo por el usuario
man-files-reports = Los informes de sesión escritos con «x» (--report escribe donde indica)
man-files-logs = Los registros del asistente (STEPWISE_LOG fija cuánto)
man-files-demo-state = Lo que el backend de demostración aprendió en ejecuciones anteriores (stepwise demo --fresh lo olvida)
man-files-sim-tls = La autoridad, el certificado y la clave de stepwise serve --tls, salvo que --tls-dir indique otra carpeta
auth-unknown-client = el proveedor de identidad no conoce el client id { $client } ({ $said }). Indique el id registrado allí para stepwise con --client-id ID o `client_id` en el archivo de configuración
auth-client-wants-secret = el proveedor de identidad quiere que el cliente { $client } se autentique ({ $said }): está registrado allí como cliente confidencial, con un secreto, y stepwise inicia sesión como cliente público. Pida a quien gestiona el proveedor un id de cliente público para stepwise (sin secreto, con inicio de sesión por dispositivo o navegador permitido), e indíquelo con --client-id ID o `client_id` en el archivo de configuración
auth-client-not-allowed = el proveedor de identidad conoce el id de cliente { $client }, pero no le deja iniciar sesión de este modo ({ $said }), y no ofrece a stepwise otro modo. Pida al administrador del proveedor que permita el flujo de dispositivo para este cliente; mientras tanto, guarde un token con `stepwise login --with-token`
auth-client-not-allowed-device = el proveedor de identidad conoce el id de cliente { $client }, pero no le deja iniciar sesión con un código en otro dispositivo ({ $said }). Inicie sesión en un navegador: `stepwise login` sin --device, en un equipo con escritorio; o pida al administrador del proveedor que permita el flujo de dispositivo para este cliente; o guarde un token con `stepwise login --with-token`
auth-client-not-allowed-browser = el proveedor de identidad conoce el id de cliente { $client }, pero no le deja iniciar sesión en un navegador ({ $said }). Inicie sesión con un código en otro dispositivo: `stepwise login --device`; o pida al administrador del proveedor que lo permita; o guarde un token con `stepwise login --with-token`
auth-unknown-scope = el proveedor de identidad no conoce uno de los scopes pedidos ({ $said }); pedidos: { $scopes }. Indique los que conoce con --scope o `scopes` en el archivo de configuración (pregunte a quien lo gestiona), y vuelva a ejecutar `stepwise login`
err-signin-issuer-mismatch = el proveedor de identidad en { $asked } se llama a sí mismo { $got }: sus metadatos no son suyos. Revise --issuer (o STEPWISE_ISSUER, `issuer` en el archivo de configuración) si se dio; si no, avise a quien gestiona la pasarela (sus metadatos de inicio de sesión nombran a este proveedor)
err-signin-issuer-unnamed = los metadatos del proveedor de identidad en { $asked } no nombran ningún emisor (falta el miembro `issuer`), así que no se puede comprobar que sean suyos. Avise a quien gestiona el proveedor; compruebe --issuer (o STEPWISE_ISSUER, `issuer` en el archivo de configuración) si se indica
err-signin-resource-mismatch = los metadatos de inicio de sesión que publica la pasarela en { $gateway } ({ $path }) son de otro recurso, { $named }: los tokens del inicio de sesión que nombran serían para ese recurso, no para esta pasarela, así que no se usan (RFC 9728). Avise a quien gestiona la pasarela; si conoce el proveedor de identidad de esta pasarela, indíquelo con --issuer (o STEPWISE_ISSUER, `issuer` en el archivo de configuración)
err-signin-issuer-none = el proveedor de identidad en { $issuer } no publica metadatos (ni /.well-known/openid-configuration ni /.well-known/oauth-authorization-server; HTTP { $status }). Revise --issuer (o STEPWISE_ISSUER, `issuer` en el archivo de configuración) si se dio; si no, avise a quien gestiona la pasarela (sus metadatos de inicio de sesión nombran a este proveedor)
err-signin-issuer-missing = el proveedor de identidad en { $issuer } publica metadatos sin { $field }: no ofrece allí ningún inicio de sesión que stepwise pueda usar. Revise --issuer (o STEPWISE_ISSUER, `issuer` en el archivo de configuración) si se dio; si no, avise a quien gestiona la pasarela (sus metadatos de inicio de sesión nombran a este proveedor)
err-signin-issuer-bad = el emisor { $issuer } no es una URL http(s). Indique una como https://login.example.com/realms/workshop
err-signin-endpoint-authorization = dirección de autorización
err-signin-endpoint-revocation = dirección de revocación
login-expires-no-refresh = El token caduca a las { $time }. No llegó ningún token de renovación (el proveedor da uno con el scope offline_access), así que entonces inicie sesión de nuevo.
login-expires-no-refresh-asked = El token caduca a las { $time }. No llegó ningún token de actualización con él, aunque el inicio de sesión pidió offline_access: el proveedor de identidad no da ninguno a stepwise (su administrador puede permitirlo), así que vuelva a iniciar sesión entonces.
login-keyring-fallback = Nota: el llavero no pudo guardar el token ({ $why }), así que se guarda en un archivo que solo usted puede leer (modo 0600). `stepwise logout` lo elimina.
login-browser-signing-in = Dirección entregada al navegador: inicie sesión allí y vuelva aquí (Ctrl-C cancela).
login-browser-address = Si ningún navegador muestra el inicio de sesión, abra esta dirección en este equipo: { $address }
login-browser-done = Sesión iniciada: cierre esta pestaña y vuelva al terminal.
login-browser-failed-page = Este inicio de sesión no se completó: el terminal dice por qué.
logout-revoked = El proveedor de identidad revocó la sesión ({ $endpoint }).
logout-revoked-page = La dirección de revocación ({ $endpoint }) respondió HTTP 200, que significa revocada, pero con una página web donde el proveedor de identidad no responde nada: si un portal o un proxy responde allí en su lugar, la sesión puede seguir válida en el proveedor hasta que caduque.
logout-not-revoked = El proveedor de identidad no ofrece revocación: la sesión se olvida aquí, y su token de renovación sigue siendo válido allí hasta que caduque.
logout-not-revoked-access = El proveedor de identidad no ofrece revocación: la sesión se olvida aquí, y su token sigue válido allí hasta que caduque.
logout-revoke-failed = La revocación en el proveedor de identidad falló ({ $why }); la sesión se olvida aquí de todos modos. Su token de renovación sigue siendo válido en el proveedor hasta que caduque o el proveedor lo termine: pida a su administrador que lo revoque si debe terminar ya.
logout-already-ended = El proveedor de identidad ya había terminado esta sesión ({ $said }): no hay nada que revocar.
logout-revoke-failed-access = La revocación en el proveedor de identidad falló ({ $why }); la sesión se olvida aquí de todos modos. El token sigue siendo válido en el proveedor hasta que caduque: pida a su administrador que lo revoque si debe terminar ya.
status-over = Renovación: terminada por el proveedor de identidad ({ $said }). Ejecute `stepwise login`
status-over-client = Renovación: rechazada: el proveedor de identidad no acepta el id de cliente { $client } ({ $said }). Inicie sesión con el que conoce: `stepwise login --client-id ID` (o defina `client_id` en el archivo de configuración)
status-client = Cliente:    { $client }, scopes { $scopes }, audiencia { $audience }
status-scopes-granted = { $asked } pedidos, { $granted } concedidos
help-cli-login-issuer = La URL de emisor del proveedor de identidad (si no, STEPWISE_ISSUER, `issuer` en el archivo de configuración, si no, hallada a través de la pasarela)
help-cli-login-client-id = El client id registrado para stepwise en el proveedor de identidad (si no, `client_id` en el archivo de configuración, si no, stepwise)
help-cli-login-scope = Los scopes que pedir, separados por espacios (si no, `scopes` en el archivo de configuración, si no, los de la pasarela, si no, "openid offline_access")
help-cli-login-audience = La audiencia (recurso) para la que pedir el token (si no, `audience` en el archivo de configuración)
help-cli-login-device = Iniciar sesión con un código aprobado en cualquier navegador, aunque aquí se pudiera abrir uno
help-cli-serve-client-id = Un client id que el proveedor de identidad conoce (repetible; por defecto: stepwise)
doctor-source-login = la sesión guardada (`stepwise login`)
doctor-token-login-over = el proveedor de identidad terminó la sesión guardada ({ $said })
doctor-token-fix-login = Ejecute `stepwise login`
doctor-token-fix-client-id = Indique el client id que conoce el proveedor de identidad con --client-id ID (o `client_id` en el archivo de configuración) y luego ejecute `stepwise login --client-id ID`
doctor-token-fix-kept-fixed = Se guardó con `stepwise login --with-token`: pida a quien gestiona la pasarela su token actual y guárdelo con `stepwise login --with-token`
