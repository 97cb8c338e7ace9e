# stepwise — o catálogo de mensagens, português. Mesmos ids e mesmas
# variáveis de en.ftl; os números escolhem as formas do plural.

## The steps screen

header-car = veículo { $car }
header-steps-id = stepsID { $id }
header-at = às { $time } UTC
header-not-loaded = não carregado
header-watch-on = acompanhamento: ligado
header-watch-live = acompanhamento: ligado · ao vivo
header-watch-polling = acompanhamento: ligado · consulta a cada { $secs } s
header-watch-retrying = acompanhamento: ligado · a tentar de novo
header-watch-off = acompanhamento: desligado
header-autoplay = automático
header-guide-lang = cliente: { $lang }
progress-done = { $done } de { $total } feitos
progress-filtered = (filtro: «{ $filter }», { $shown ->
    [one] { $shown } passo mostrado
   *[other] { $shown } passos mostrados
})
list-title = Passos, em ordem
list-title-filtered = Passos: só «{ $filter }»
list-loading = A pedir os passos ao gateway…
list-loading-held = Retido: o gateway pediu que todos os pedidos esperassem (HTTP 429, o cabeçalho faz a contagem decrescente); os passos são pedidos quando a espera terminar.
list-none = Ainda sem lista: r pede de novo.
list-none-waiting = Ainda sem lista: o gateway pediu para esperar (a mensagem diz quanto); o acompanhamento pergunta de novo quando a espera acabar.
list-none-sign-in = Ainda sem lista: o gateway quer um token válido. Prima i para iniciar sessão, se o gateway o permitir (senão, comece de novo com --token-file); depois a lista é pedida de novo.
list-none-token-given = Ainda sem lista: o gateway quer um token válido, e o início de sessão aqui falha (a mensagem diz porquê). Saia e comece de novo com um token dado: --token-file FICHEIRO ou STEPWISE_TOKEN.
list-none-unknown-id = Sem lista: o gateway não conhece este id, por isso pedir de novo não adianta. Verifique o id.
list-none-fix-cause = Sem lista: pedir de novo dá a mesma resposta até que se corrija o que a mensagem indica.
list-empty-filtered = Nenhum passo tem o estado «{ $filter }». A tecla «f» muda o filtro.
list-empty = O gateway não devolveu passos para este carAssociationID.
mark-next = AGORA
mark-waits = aguarda
mark-status-raw = estado { $status }
mark-waits-for = aguarda { $order }
guide-title = O que o cliente faz: { $title }
guide-title-none = Instruções
guide-no-step = Nenhum passo a orientar. Se a aplicação do cliente ainda recusar o serviço, verifique o carAssociationID ou redefina a cache de passos com R.
guide-waiting = As instruções do próximo passo aparecem quando a lista chegar.
guide-link = Guia:
guide-does = O cliente:
guide-needs = Ter à mão:
guide-errors = Erros da aplicação neste passo:
guide-errors-hint = tecla «e»: explicação
guide-link-archive = Documentação para desenvolvedores (arquivada, em inglês):
guide-keys-gateway = «g» mostra a página do cliente ({ $lang }) no gateway como código QR; a tecla «o» abre a página.
guide-keys-dealer = «g» mostra a página de ajuda do concessionário como código QR; a tecla «o» abre a página.
guide-keys-archive = «g» mostra a página arquivada para desenvolvedores como código QR; a tecla «o» abre a página (o gateway não serve páginas para clientes).
guide-more-below = ↓ mais: PgDn
guide-more-above = ↑ mais acima: PgUp
list-more-below = ↓ mais { $count }: j
list-more-above = ↑ mais { $count } acima: k
ready-title = Serviço pronto
ready-line = Todos os passos estão feitos: o serviço está pronto para uso.
ready-services = O serviço contratado (estado do veículo ou comandos remotos) já pode ser usado na aplicação do cliente.
ready-stale-before = Se a aplicação ainda falhar com o erro 2312 ou 2317, a cache de passos está desatualizado: prima{" "}
ready-stale-after = {" "}para redefini-lo e ver o estado real.

## Requests in flight

loading-steps = a procurar os passos
loading-held = { $what }, retido pelo limite do gateway (HTTP 429)
loading-refresh = a atualizar
loading-reset = a redefinir a cache de passos
loading-next = a pedir o próximo passo
loading-customer = o cliente está a agir

## Banners
# Between a banner's title and its text (French puts a space before the colon).
banner-title-sep = {": "}
banner-cut = {" "}… mais: uma janela maior mostra tudo{" "}
banner-cut-help = {" "}… mais: ? mostra tudo{" "}

banner-no-steps-id = Ainda sem stepsID
banner-no-steps-id-text = Atualize primeiro com r.
banner-no-steps-id-in-list-text = A lista do gateway veio sem stepsID, e o passo seguinte só pode ser pedido pelo stepsID: r não trará um. Avise quem gere o gateway de que falta o stepsID na lista.
banner-steps-id-dropped = stepsID descartado
banner-steps-id-dropped-text = O gateway recusou o stepsID que ele próprio tinha dado, pelo que foi descartado; a lista no ecrã é a última que veio com ele. r pede um novo pelo carAssociationID.
banner-watch-off = Acompanhamento desligado
banner-watch-off-text = w acompanha de novo.
banner-nothing-to-watch = Nada a acompanhar
banner-nothing-to-watch-text = Todos os passos já estão feitos.
banner-no-step-shown = Nenhum passo no ecrã
banner-no-step-shown-text = «g» e «o» dão ao cliente a página do passo no ecrã, e não há nenhum: ainda não chegou nenhuma lista, ou ela não tem passos. A tecla «r» pede a lista de novo.
banner-key-needs-list = «{ $key }» precisa de uma lista de passos, e nenhuma chegou. Porquê:
banner-no-step-shown-filter-text = «g» e «o» dão ao cliente a página do passo no ecrã, e o filtro esconde todos os passos (nenhum tem o estado «{ $filter }»). Prima «f» até os passos aparecerem e escolha um com ↑↓.
banner-watching = A acompanhar
banner-watching-text = A acompanhar a lista até tudo estar feito (o cabeçalho diz como: ao vivo ou por consulta); w interrompe.
banner-list-without-steps-id = Nenhum stepsID na lista
banner-list-without-steps-id-text = A lista do gateway não traz stepsID: a chamada do passo seguinte (n) e os eventos em direto não podem perguntar por ele, por isso o acompanhamento pergunta por carAssociationID a cada { $secs } s. Avise o operador do gateway: uma lista traz o seu stepsID.
banner-watch-stopped = Acompanhamento parado: { $what }
banner-live-trouble = Acompanhamento interrompido: { $what }
banner-live-stalls = Fluxo em direto restabelecido após uma paragem
live-bad-event = o fluxo de eventos em direto do gateway enviou um evento inutilizável: { $why }. As listas em si estão certas; avise quem gere o gateway
live-proxy-held = o fluxo de eventos em direto não teve resposta em { $secs } s através do proxy { $proxy }, embora as chamadas de lista por ele tenham resposta: o proxy retém uma resposta que não termina (armazena em buffer o fluxo de eventos). Peça a quem gere o proxy que deixe passar text/event-stream sem buffer, ou defina NO_PROXY={ $host } se o gateway for acessível sem ele
banner-live-trouble-text = { $why }. O acompanhamento continua sozinho assim que puder; até lá, a lista no ecrã pode estar desatualizada.
banner-live-trouble-wait-text = { $why }. O gateway pediu para esperar { $secs } s (o seu Retry-After): o acompanhamento pergunta de novo nessa altura; até lá, a lista no ecrã pode estar desatualizada.
banner-live-trouble-wait-capped-text = { $why }. O gateway pediu para esperar { $secs } s (o seu Retry-After); o stepwise espera no máximo { $max } s: o acompanhamento pergunta de novo nessa altura; até lá, a lista no ecrã pode estar desatualizada.
banner-429-capped-text = { $why }. O stepwise espera no máximo { $max } s: pede então de novo (o cabeçalho faz a contagem), e o gateway pode recusar da mesma forma até a espera dele terminar.
banner-live-held-text = { $why }. O acompanhamento não pergunta de novo sozinho: uma renovação do token cuja resposta se perdeu não é reenviada sem si (o refresh token pode estar gasto). Prima r quando o caminho até ao fornecedor de identidade funcionar; até lá a lista no ecrã pode estar desatualizada.
banner-watch-retries = O acompanhamento volta a pedir sozinho (o cabeçalho diz «a tentar de novo»); r pede já.
banner-watch-waits = O acompanhamento volta a pedir sozinho depois dessa espera; pedir antes (r) não ajuda.
banner-watch-waits-secs = O acompanhamento volta a pedir sozinho depois dos { $secs } s de espera que o gateway pediu; pedir antes (r) não ajuda.
banner-env-restart = Um stepwise em execução lê as variáveis de proxy ao arrancar: saia (q) e volte a iniciá-lo depois de as mudar.
banner-live-fallback = Fluxo em direto abandonado: a lista é pedida a cada { $secs } s
banner-live-fallback-text = O fluxo de eventos do gateway falhava sem parar (último: { $what }). O acompanhamento continua a pedir a lista a cada { $secs } s: a lista no ecrã fica atualizada, uma mudança aparece até { $secs } s depois. Se isto continuar, passe a falha entre parênteses ao operador do gateway, ou a quem gere um proxy no caminho (um fluxo pode falhar num deles).
banner-live-fallback-contradicted-text = Abandonado de imediato: { $what }. O acompanhamento continua a pedir a lista a cada { $secs } s: a lista no ecrã fica atualizada, uma mudança aparece até { $secs } s depois.
banner-watch-stopped-text = { $why }. Continuar só repetiria esta resposta; depois de resolver, w acompanha de novo.
banner-run-keeps-refusal = { $why }. Esta execução já não consulta o gateway com este início de sessão, por isso r e w recebem de novo esta resposta: quando estiver corrigido, ou depois de um novo `stepwise login`, saia com q e inicie o stepwise de novo.
banner-customer-idle = Nada mais para o cliente
banner-customer-idle-text = Todos os passos estão feitos.
banner-no-report-place = Sem lugar para o relatório
banner-no-report-place-text = Não há pasta de dados do utilizador; use --report CAMINHO.
banner-report-written = Relatório gravado
banner-note-kept = Nota guardada
banner-note-kept-text = Vai para o relatório da sessão.
banner-note-kept-press-x-text = Vai para o relatório da sessão, que o x grava (não foi indicado --report): prima x antes de sair. q com uma nota não gravada pergunta de novo, e um segundo q sai sem ela; uma sessão terminada de outro modo (Ctrl-C, uma janela fechada) grava-o onde o x grava.
banner-note-token = Nota não guardada
banner-note-token-text = Contém o que parece um token de início de sessão, e um token nunca vai para um relatório. Prima N e escreva a nota sem ele.
banner-note-token-word-text = Contém o que parece um token de início de sessão (a palavra de { $len } caracteres que começa por { $start }…), e um token nunca vai para um relatório. Prima N: a nota volta tal como foi escrita, para tirar essa palavra.
report-note-token-left-out = uma nota que estava a ser escrita quando o assistente terminou foi deixada de fora: continha o que parece um token de início de sessão, e um token nunca vai para um relatório. Escreva-a de novo sem o token
banner-note-unsaved = Nota não guardada
banner-note-unsaved-text = Nenhum relatório contém ainda a sua nota (não foi indicado --report). Prima x para escrever o relatório com ela, ou q de novo para sair sem ela.
banner-note-unsaved-failed-text = Nenhum relatório contém ainda a sua nota: x não conseguiu escrevê-lo ({ $why }). Corrija isso e prima x; ou prima q de novo para sair sem a nota.
banner-task-failed = O pedido parou devido a um erro interno
banner-task-failed-text = o stepwise não o conseguiu concluir ({ $why }). r tenta de novo; se voltar a acontecer, envie o ficheiro de registo ao suporte.
banner-report-not-written = Relatório não gravado
banner-report-not-written-text = Não foi possível gravar { $path }: { $why }. Verifique se a pasta existe e aceita gravação.
banner-report-in-the-way-text = Não foi possível gravar { $path }: em { $file } há um ficheiro onde deve haver uma pasta (a pasta de relatórios ou uma acima dela). Mova ou mude o nome desse ficheiro e prima x de novo.
banner-guide-opened = Ligação passada ao navegador
banner-no-browser = Não foi possível abrir um navegador
banner-no-graphical-session = Sem sessão gráfica aqui. Abra { $url } em outro dispositivo, ou g para o código QR.
banner-no-graphical-session-local = Sem sessão gráfica aqui, e { $url } só existe neste computador (loopback): outro dispositivo também não a consegue abrir. Indique em --api um endereço do gateway que a rede da oficina alcance e prima g para o código QR.
banner-no-graphical-session-demo = Não há sessão gráfica aqui, e { $url } só existe nesta máquina (backend de demonstração). Para telemóveis: execute `stepwise serve --addr 0.0.0.0:8080` e passe ao assistente --api com o endereço que o serve mostra; depois g mostra o código QR.
banner-browser-failed = { $why }. Abra { $url } à mão, ou g para o código QR.
banner-step-done = { $count ->
   *[other] Feito — { $steps }
}
banner-step-undone = { $count ->
   *[other] De novo por fazer — { $steps }
}
banner-step-undone-text = a lista mais recente do gateway tem-no de novo por fazer (uma redefinição noutro lugar, uma chave revogada, ou um gateway que perdeu o estado): o cliente fá-lo de novo; a lista mostra o que falta.
banner-steps-undone-text = a lista mais recente do gateway tem-nos de novo por fazer (uma redefinição noutro lugar, uma chave revogada, ou um gateway que perdeu o estado): o cliente fá-los de novo; a lista mostra o que falta.
banner-next-is = o próximo passo é { $title }.
banner-all-done-ready = tudo feito, o serviço está pronto.
banner-nothing-shown-left = na lista mostrada não resta nada a fazer.
banner-reset-done = Cache de passos redefinido
banner-reset-done-text = Cada passo foi reavaliado; a lista mostra o estado real.
banner-reset-refused-front = Redefinição recusada
banner-reset-refused-front-text = Algo à frente do gateway respondeu à redefinição da cache de passos (resetSteps=true) com HTTP { $status } e sem corpo de erro do gateway, enquanto as listas vêm deste endereço: só a chamada de redefinição é recusada. A cache não foi redefinida, e a lista no ecrã continua como estava. Pergunte ao operador do gateway, ou a quem gere a rede, se a chamada de redefinição é deixada passar.
banner-reset-unanswered = Redefinição enviada, sem resposta
banner-reset-unanswered-text = o gateway recebeu a redefinição da cache de passos (resetSteps=true) mas não respondeu em { $secs } s: a cache talvez já esteja redefinida, talvez não. Prima r primeiro para ver a lista como está agora; redefina de novo só se ainda mostrar como feitos passos que o cliente não fez.
banner-reset-gave-up-text = a redefinição da cache de passos (resetSteps=true) recebeu HTTP { $status } de algo à frente do gateway que desistiu de esperar por ele: a cache talvez já esteja redefinida, talvez não. Prima r primeiro para ver a lista como está agora; redefina de novo só se ainda mostrar como feitos passos que o cliente não fez.
banner-no-longer-found = Já não encontrado
banner-no-longer-found-text = este endereço respondeu listas para este veículo antes nesta sessão, e agora responde 404 (não encontrado): o id e --api estavam certos, pelo que o gateway, ou um router ou proxy à frente dele, mudou (um reinício, uma implementação, uma rota perdida). Prima r daqui a pouco para perguntar de novo; se persistir, avise o operador do gateway, com a hora.
banner-steps-id-changing = O gateway continua a mudar o stepsID deste veículo
banner-steps-id-changing-text = pediu-se a lista do stepsID { $asked }, e ele respondeu a lista do stepsID { $answered }, menos de um minuto depois de recomeçar por carAssociationID. O acompanhamento parou em vez de perguntar sem fim. Prima r para perguntar de novo por carAssociationID; se continuar a mudar, avise o operador do gateway (ou quem gere um proxy ou cache no meio).
banner-started-over = Recomeçado
banner-started-over-text = { $why }; pedido de novo pelo carAssociationID.
banner-refused-again = O gateway recusa o stepsID que acabou de dar
banner-refused-again-text = { $why }, de novo, menos de um minuto depois de recomeçar por carAssociationID. Acompanhamento parado em vez de perguntar sem fim. Avise quem gere o gateway; r pergunta mais uma vez por carAssociationID.
why-other-device = O stepsID pertencia a outro dispositivo
why-steps-id-unknown = O gateway não conhece mais o stepsID
why-steps-id-changed = O gateway respondeu a lista de outro stepsID (um novo para este veículo, ou respostas trocadas pelo caminho)
banner-gateway-next = Próximo passo segundo o gateway
banner-gateway-next-text = { $title } ({ $name }).
banner-gateway-next-hidden-text = { $title } ({ $name }), fora da lista mostrada; f muda o filtro.
banner-filter-ignored = Filtrado aqui, não pelo gateway
banner-list-lost-steps = Lista sem passos
banner-list-lost-steps-text = A lista do gateway para o stepsID { $id } já não contém { $steps }, que não estavam feitos: uma lista nunca perde os passos que tinha (uma lista filtrada dada como a inteira?). Não é usada, nem o veículo dito pronto: a lista no ecrã é a última inteira. Prima r para pedir de novo; se continuar assim, avise quem opera o gateway
banner-nothing-left = Nada mais a fazer
banner-nothing-left-text = O gateway respondeu null: não resta nenhum passo, o serviço está pronto.
banner-next-list-older = A lista no ecrã é mais antiga do que esta resposta: é pedida de novo.
banner-next-disagrees = As duas respostas do gateway não coincidem
banner-next-disagrees-text = O próximo passo dele é { $said } (`{ $name }`), mas a lista pedida de novo agora ainda põe { $first } (`{ $first_name }`, estado “{ $status }”) primeiro, não feito: a lista não é antiga. Pergunte ao operador do gateway qual o cliente faz primeiro.
banner-answers-disagree = O gateway contradiz-se
banner-answers-disagree-text = A chamada do passo seguinte disse que nada resta, mas a lista, pedida de novo agora mesmo, ainda tem passos por fazer (NEXT marca o primeiro). Siga a lista e avise quem gere o gateway de que as duas chamadas não coincidem.

## The start screen
backend-demo = backend de demonstração
demo-car-987654 = Exemplo da documentação: telefone de confiança, dispositivo não ativado
demo-car-moved = Veículo de demonstração, agora { $done } de { $total } passos feitos (demo --fresh recomeça)
demo-car-reset-done = Cache redefinida nesta sessão: a lista mostra agora o estado real
demo-fresh-done = Demonstração recomeçada: cada veículo de demonstração voltou ao ponto que a sua descrição indica.
demo-fresh-failed = não é possível recomeçar a demonstração: o seu estado { $path } não pode ser removido ({ $error }). Remova esse ficheiro à mão e comece de novo
launch-note-title = Nota
cli-ids-repeated = Indicado mais de uma vez, consultado uma só vez: { $ids }.
cli-ids-one-line = { $path } tem uma linha com { $values } valores em colunas: só o primeiro é lido como carAssociationID (a primeira coluna de um ficheiro). Para consultar cada um, ponha um id por linha.
cli-ids-rows-without-id = { $count ->
    [one] { $path }: a linha { $lines } não tem carAssociationID na coluna de ids, pelo que é ignorada. Preencha o id dela para consultar esse veículo.
   *[other] { $path }: as linhas { $lines } não têm carAssociationID na coluna de ids, pelo que são ignoradas. Preencha os ids delas para consultar esses veículos.
    }
cli-ids-column-guessed = { $path }: a primeira linha não nomeia nenhuma coluna carAssociationID, por isso os ids foram lidos da coluna { $column } («{ $name }»), a única cujos valores são todos ids com um dígito. Se não forem os ids dos veículos, dê à coluna deles o título carAssociationID
demo-car-111111 = Cliente novo: nada feito ainda
demo-car-222222 = Serviço pronto: todos os passos feitos
demo-car-333333 = Cache desatualizada: a aplicação mostra 2312/2317, só a redefinição da cache mostra o estado real
demo-car-444444 = Só Estado do veículo: dois passos

start-subtitle = passos de ativação do serviço
start-intro = Introduza o carAssociationID do cliente (da assinatura dos serviços conectados) e prima Enter.
start-replace-hint = Escrever substitui este id; ⌫ edita-o
start-refused = Não aceito: { $chars }. Um id só tem letras a–z, A–Z, dígitos, - e _.
start-dropped-confirm = Deixados de fora: { $chars }. Enter de novo usa { $id } como está (outro veículo?); caso contrário, corrija.
start-too-long = Um id tem no máximo { $max } caracteres; o resto foi descartado.
start-not-an-id = Introduza um carAssociationID: letras a–z, A–Z, dígitos, - ou _.
start-excel-number = { $number } é um número longo como o Excel o mostra (notação científica), não um id: os seus últimos dígitos perderam-se. No Excel, formate a coluna como Texto, escreva o id de novo e copie-o de lá.
start-several-ids = Foram coladas { $count } linhas (uma coluna de ids?): o campo aceita um id, por isso nenhum foi aceite. Cole ou escreva um; para um painel com todos, saia e inicie com --cars FICHEIRO (um id por linha) ou --car ID --car ID
board-add-several-ids = Foram coladas { $count } linhas (uma coluna de ids?): este campo adiciona um id de cada vez, por isso nenhum foi aceite. Cole ou escreva um, Enter, e de novo a para o seguinte; os veículos do painel mantêm-se
start-label-left-out = O texto colado começava com o rótulo «{ $label }», deixado de fora: o campo contém o id a seguir.
start-note-unsaved = Nota não guardada: nenhum relatório a contém ainda (sem --report). Abra um veículo e prima x para escrever o relatório com ela, ou prima q de novo para sair sem ela.
start-choices = Ids recentes (↑↓ para escolher):
start-choices-demo = Ids recentes e de demonstração (↑↓ escolher):
start-recent = recente

## A window too small

too-small-title = Janela demasiado pequena
too-small-text = stepwise precisa de { $min_w }×{ $min_h }; esta tem { $w }×{ $h }.
too-small-hint = Aumente a janela (q sai).
too-small-note-unsaved = A sua nota ainda não está em nenhum relatório: aumente a janela e prima x para escrever o relatório com ela, ou q de novo para sair sem ela.

## Overlays

help-title = Ajuda (Esc fecha)
help-title-more = Ajuda (↓ PgDn para mais, Esc fecha)
help-section-start = Ecrã inicial
help-section-steps = Ecrã de passos
help-section-message = A mensagem no ecrã, completa
help-section-everywhere = Em todo o lado
help-section-reset = Confirmar redefinição
help-section-explain = Explicação de códigos de erro
help-section-qr = Código QR
help-section-help = Esta ajuda
help-section-badges = Etiquetas
help-legend-badges = [FEITO] feito (alreadyDone)  [A FAZER] a fazer (todo)  [????] estado desconhecido
badge-done = FEITO
badge-todo = A FAZER
badge-unknown = ????
help-legend-next = AGORA marca o passo a fazer agora; os seguintes aguardam por ele.
reset-title = Redefinir a cache de passos
reset-question = Redefinir a cache de passos de { $car }?
reset-when = Use quando a aplicação do cliente mostrar o erro 2312 ou 2317, ou quando um passo aparecer feito sem estar.
reset-what = Cada passo é então reavaliado; os que estão realmente feitos continuam feitos.
explain-title = Explicar um código de erro (Esc fecha)
explain-code = Código de erro:
explain-prompt = Introduza o código que a aplicação do cliente mostra, p. ex. 2312 ou NOK:MAXNBTOOLS.
explain-known = Conhecidos: { $codes }
explain-meaning = Significado:
explain-remedy = O que fazer:
explain-limits = Limites:
explain-reset-cures = ✔ Redefinir a cache de passos resolve: feche com Esc e prima{" "}
explain-unknown = { $code } não é um código que esta ferramenta conheça.
explain-unknown-hint = Verifique o que foi introduzido e procure o código na lista de erros do fabricante; depois de Esc, anote-o numa nota (N) para o relatório da sessão.
qr-title-gateway = Leia: a página do cliente ({ $lang }) (Esc fecha)
qr-title-dealer = Leia: a página de ajuda do concessionário (Esc fecha)
qr-title-archive = Leia: documentação para desenvolvedores, arquivada (Esc fecha)
qr-demo-local = Só este computador abre esta página (backend de demonstração). Para telemóveis: execute `stepwise serve --addr 0.0.0.0:8080` e dê ao assistente --api com o endereço que o serve mostra.
qr-loopback = Este endereço só existe neste computador (loopback): um telemóvel não o consegue abrir. Indique em --api o endereço que o gateway tem na rede da oficina.
qr-too-small = A janela é demasiado pequena para o código QR; aumente-a.

## Keys: a short word for the footer, a line for help
# The names of keys as the keyboards of this language print them.
key-name-esc = Esc
key-name-enter = Enter
key-name-space = Espaço
key-name-pgdn = PgDn
key-name-pgup = PgUp
key-name-ctrl-c = Ctrl-C
key-name-yes = s

key-short-quit = sair
key-short-open = abrir
key-short-pick = escolher
key-short-help = ajuda
key-short-type = introduzir
key-short-erase = apagar
key-short-clear = limpar
key-short-move = mover
key-short-more = mais
key-short-refresh = atualizar
key-short-watch = acompanhar
key-short-act = agir
key-short-next = próximo
key-short-filter = filtrar
key-short-reset = redefinir
key-short-explain = explicar
key-short-open-guide = abrir guia
key-short-qr = código QR
key-short-report = relatório
key-short-back = voltar
key-short-scroll = rolar
key-short-page = página
key-short-close = fechar
key-short-reset-now = redefinir já
key-short-cancel = cancelar
key-short-open-browser = abrir no navegador
key-short-guide-lang = idioma cliente
key-help-quit-now = sair imediatamente
key-help-quit = sair
key-help-quit-empty = sair (com o campo vazio)
key-help-open = abrir os passos deste carAssociationID
key-help-pick = escolher um id recente ou de demonstração
key-help-help = ajuda de todas as teclas
key-help-type-id = introduzir o carAssociationID (letras a–z, A–Z, dígitos, - e _)
key-help-erase = apagar o último caractere
key-help-clear = limpar o campo
key-help-move = mover a seleção
key-help-guide-down = rolar as instruções para baixo
key-help-guide-up = rolar as instruções para cima
key-help-refresh = atualizar a lista pelo stepsID
key-help-watch = acompanhar: seguir cada mudança até tudo estar feito
key-help-act = o cliente simulado faz o próximo passo (demo)
key-help-next = pedir ao gateway o próximo passo
key-help-filter = filtrar por estado: todos, a fazer (todo), feitos (alreadyDone)
key-help-reset = redefinir a cache de passos (erros 2312/2317)
key-help-explain = explicar um código de erro da aplicação
key-help-open-guide = abrir o guia do passo num navegador
key-help-qr = mostrar o link do guia como código QR
key-help-report = gravar o relatório da sessão (Markdown)
key-help-back = voltar à ecrã inicial
key-help-back-board = voltar ao painel
key-short-note = nota
key-help-scroll = rolar a ajuda
key-help-page-down = uma página abaixo
key-help-page-up = uma página acima
key-help-close-help = fechar a ajuda
key-help-reset-now = redefinir a cache de passos agora
key-help-cancel = cancelar
key-help-close-explain = fechar a explicação
key-help-type-code = introduzir o código: dígitos, letras, : _ .
key-help-close-qr = fechar o código QR
key-help-open-browser = abrir o link num navegador
key-help-guide-lang = passar as instruções do cliente para o idioma seguinte

## The session report (Markdown)

report-title = Relatório de sessão do stepwise
report-none = (nenhum)
report-backend = gateway
report-end = estado final: { $done } de { $total } feitos
report-end-ready = estado final: { $done } de { $total } feitos, serviço pronto
report-end-next = estado final: { $done } de { $total } feitos, próximo: { $title } (`{ $name }`)
report-col-order = ordem
report-col-step = passo
report-col-name = nome
report-col-status = estado
report-events = Eventos
report-event-opened = aberto o carAssociationID { $car }
report-event-removed = removido do painel pelo técnico
report-event-steps-id-changed = o gateway respondeu a lista de outro stepsID ({ $answered }); perguntado de novo por carAssociationID
report-event-list-next = lista (stepsID { $id }): { $done } de { $total } feitos, próximo `{ $next }`
report-event-list-clear = lista (stepsID { $id }): { $done } de { $total } feitos, nada pendente
report-event-list-empty = lista (stepsID { $id }): nenhum passo devolvido, por isso não se sabe se o serviço está pronto
report-event-filtered = lista filtrada pelo estado «{ $status }»: { $shown ->
    [one] { $shown } passo mostrado
   *[other] { $shown } passos mostrados
}
report-event-reset = redefinição da cache de passos pedida (resetSteps=true); a resposta do gateway vem a seguir
report-event-next = próximo passo segundo o gateway: `{ $step }`
report-event-next-none = próximo passo segundo o gateway: nenhum (null)
report-event-simulated = o cliente simulado concluiu `{ $step }`
report-event-error = erro: { $what }: { $detail }
report-event-started-over = { $status ->
    [404] o gateway já não conhecia o stepsID (HTTP { $status }); recomeçado com o carAssociationID
   *[other] o gateway recusou o stepsID (HTTP { $status }); recomeçado com o carAssociationID
}
report-event-started-over-live = o fluxo em direto do gateway recusou o stepsID; recomeçado com o carAssociationID
report-events-left-out = { $n ->
    [one] { $n } evento omitido
   *[other] { $n } eventos omitidos
} (mantêm-se os primeiros { $first } e os últimos { $last })
report-vehicle-count = { $count ->
    [one] { $count } veículo
   *[other] { $count } veículos
}

## The plain output of steps and next

cli-none = nenhum
cli-list-head-car = carAssociationID { $car }, stepsID { $id } ({ $backend })
cli-list-head = stepsID { $id } ({ $backend })
cli-no-steps = Nenhum passo devolvido.
cli-no-steps-unknown = Nenhum passo devolvido: não se sabe se o serviço está pronto. Se a aplicação do cliente ainda o recusar, verifique o carAssociationID ou redefina a cache de passos (execute de novo com --reset)
cli-summary-next = { $done } de { $total } feitos; próximo: { $title }
cli-summary-clear = { $done } de { $total } feitos; nada pendente
cli-interrupted-many = interrompido: as listas dos { $count } veículos são impressas juntas, pela ordem do ficheiro, quando cada um é respondido ou a --deadline de { $secs } s é atingida, por isso nenhuma foi impressa. Execute de novo; uma --deadline mais curta limita a espera
cli-filtered = filtrado: { $shown ->
    [one] { $shown } passo com estado «{ $filter }» mostrado
   *[other] { $shown } passos com estado «{ $filter }» mostrados
    }; execute de novo sem --status para ver a lista inteira
cli-filter-ignored = o gateway não aplicou o filtro: { $other } dos { $total } passos acima { $other ->
        [one] tem
       *[other] têm
    } o estado { $status }. Avise o operador do gateway: stepsStatus não é aplicado
cli-filter-ignored-json = o gateway não aplicou o filtro: { $other } dos { $total } passos da resposta { $other ->
        [one] tem
       *[other] têm
    } o estado { $status }. Avise o operador do gateway: stepsStatus não é aplicado
cli-no-steps-id = a lista do gateway não traz stepsID: `stepwise next` e os eventos em direto não podem perguntar por ele, e a lista só pode ser pedida de novo por carAssociationID. Avise o operador do gateway: uma lista traz o seu stepsID
cli-next-none = Nada mais a fazer: o serviço está pronto.

## A failed gateway call: what happened, why, what to do

gw-unreachable = não foi possível alcançar o gateway em { $base }: { $detail }. Verifique se ele está em execução e se --api está certo
gw-unresolved = não foi possível contactar o gateway em { $base }: o nome { $host } é desconhecido do DNS deste computador. Verifique o nome de host em --api e as definições de DNS deste computador (o gateway precisa de uma VPN?)
gw-timed-out = o gateway em { $base } aceitou a ligação mas não respondeu em { $secs } s: está ocupado ou bloqueado. Tente novamente; se persistir, avise quem opera o gateway
gw-timed-out-proxy = nenhuma resposta em { $secs } s do gateway em { $base } através do proxy { $proxy }: o proxy, ou o gateway por trás dele, não responde. Pergunte a quem gere o proxy se ele encaminha os pedidos para { $host }, ou defina NO_PROXY={ $host } se o gateway for acessível sem o proxy; depois tente novamente
gw-too-large = a resposta do gateway passa de { $kib } KiB e não foi lida além disso: nenhuma lista de passos é tão grande, e pedir de novo traz o mesmo. Se --api aponta para um gateway de passos (já vieram listas dele), ele envia demasiado: avise o operador do gateway; se não, verifique se --api aponta para um gateway de passos
gw-compressed = a resposta do gateway{ $via } veio comprimida ({ $encoding }), embora o stepwise peça as respostas tal como são (Accept-Encoding: identity), e o stepwise não a lê. O gateway, ou um proxy no caminho, comprime sem que se peça: avise quem opera o gateway (ou o proxy)
gw-captive-portal = HTTP 511{ $via }: a rede deste computador pede primeiro um início de sessão (um portal cativo, como numa rede Wi-Fi de convidados), pelo que o pedido nunca chegou ao gateway. Abra um navegador neste computador, aceite a página de acesso da rede e tente novamente; ou use outra rede
gw-scope-wanted = HTTP { $status }: o gateway aceitou o token, mas diz que lhe falta o âmbito { $scope } (o seu WWW-Authenticate: insufficient_scope). Inicie sessão de novo pedindo-o (`stepwise login --scope "{ $ask }"`, ou `scopes` no ficheiro de configuração), ou peça a quem fornece os tokens um com esse âmbito
gw-scope-wanted-asked = HTTP { $status }: o gateway aceitou o token da sessão guardada, mas diz que lhe falta o âmbito { $scope } (o seu WWW-Authenticate: insufficient_scope), embora essa sessão tenha pedido { $scope }: iniciar sessão de novo pede o mesmo. Ou o fornecedor de identidade não concede { $scope } ao stepwise (pergunte ao seu administrador), ou o gateway quer outro âmbito ou outra audiência (pergunte ao operador do gateway)
gw-scope-wanted-dropped = HTTP { $status }: o gateway aceitou o token da sessão guardada, mas diz que lhe falta o âmbito { $scope } (o seu WWW-Authenticate: insufficient_scope): a sessão pediu-o, e a concessão do último token deixou-o de fora (concedido: { $granted }), como uma renovação pode fazer. Inicie sessão de novo (`stepwise login`; no assistente, i); se as renovações continuarem a deixá-lo de fora, avise o administrador do fornecedor de identidade
gw-scope-wanted-unnamed = HTTP { $status }: o gateway aceitou o token, mas diz que lhe falta um âmbito (o seu WWW-Authenticate: insufficient_scope, sem o nomear). Pergunte a quem opera o gateway qual, e inicie sessão de novo com ele (`stepwise login --scope …`)
gw-scope-wanted-given = HTTP { $status }: o gateway aceitou o token (origem: { $from }), mas diz que lhe falta o âmbito { $scope } (o seu WWW-Authenticate: insufficient_scope). Um token dado aí prevalece sobre qualquer sessão: coloque aí um que tenha este âmbito, ou retire-o e inicie sessão com `stepwise login --scope "{ $ask }"`
gw-scope-wanted-given-unnamed = HTTP { $status }: o gateway aceitou o token (origem: { $from }), mas diz que lhe falta um âmbito (o seu WWW-Authenticate: insufficient_scope, sem o nomear). Pergunte a quem opera o gateway qual, e coloque aí um token que o tenha, ou retire-o e inicie sessão com `stepwise login --scope …`
gw-scope-wanted-none = HTTP { $status }: o gateway quer um token com o âmbito { $scope }, e nenhum foi enviado. Inicie sessão pedindo-o (`stepwise login --scope "openid offline_access { $scope }"`, ou `scopes` no ficheiro de configuração), ou dê um token que o tenha com --token-file CAMINHO, STEPWISE_TOKEN ou `token` no ficheiro de configuração
gw-scope-wanted-none-unnamed = HTTP { $status }: o gateway quer um token com um âmbito que não nomeia, e nenhum foi enviado. Pergunte ao operador do gateway que âmbito quer, depois inicie sessão pedindo-o (`stepwise login --scope …`), ou dê um token que o tenha com --token-file CAMINHO, STEPWISE_TOKEN ou `token` no ficheiro de configuração
gw-scope-wanted-none-no-signin = HTTP { $status }: o gateway quer um token com o âmbito { $scope }, e nenhum foi enviado. Não oferece início de sessão: o seu token vem de quem o gere. Peça-lhe um token que tenha este âmbito, e guarde-o com `stepwise login --with-token`, ou indique-o com --token-file CAMINHO, STEPWISE_TOKEN ou `token` no ficheiro de configuração
gw-scope-wanted-none-no-signin-unnamed = HTTP { $status }: o gateway quer um token com um âmbito que não nomeia, e nenhum foi enviado. Não oferece início de sessão: o seu token vem de quem o gere. Peça-lhe um token com o âmbito pretendido, e guarde-o com `stepwise login --with-token`, ou indique-o com --token-file CAMINHO, STEPWISE_TOKEN ou `token` no ficheiro de configuração
gw-scope-wanted-taken-no-signin = HTTP { $status }: o gateway aceitou o token indicado via { $from }, mas diz que lhe falta o âmbito { $scope } (o seu WWW-Authenticate: insufficient_scope). Não oferece início de sessão: o seu token vem de quem o gere. Peça-lhe um que tenha este âmbito, e indique-o da mesma forma (um guardado com `stepwise login --with-token`)
gw-scope-wanted-taken-no-signin-unnamed = HTTP { $status }: o gateway aceitou o token indicado via { $from }, mas diz que lhe falta um âmbito que não nomeia (o seu WWW-Authenticate: insufficient_scope). Não oferece início de sessão: o seu token vem de quem o gere. Peça-lhe um com o âmbito pretendido, e indique-o da mesma forma (um guardado com `stepwise login --with-token`)
gw-bad-answer = a resposta do gateway não pôde ser usada: { $why }. Se já vieram listas deste --api (deste veículo ou de outro), o gateway, ou algo à frente dele, respondeu outra coisa a esta chamada: avise o operador do gateway; se não, verifique se --api aponta para um gateway de passos
gw-bad-answer-page = a resposta é uma página web (HTML) onde devia vir o JSON do gateway: algo à frente do gateway (uma firewall, um portal ou um proxy inverso) respondeu, ou --api aponta para um servidor web. Se já vieram listas deste --api, pergunte a quem gere a rede que página é essa; se não, verifique se --api aponta para um gateway de passos
gw-bad-answer-gateway = a resposta do gateway não pôde ser usada: { $why }
gw-answer-cut = a resposta do gateway foi cortada ({ $why }). Tente novamente; se continuar cortada, o gateway ou algo no caminho (um proxy) corta as respostas: avise quem opera o gateway
answer-not-json = a resposta não é JSON ({ $detail })
answer-html = a resposta é uma página HTML (de um servidor web, de um portal ou de um proxy), não JSON
answer-empty = a resposta está vazia, quando se esperava JSON do gateway (uma lista de passos, um passo ou null)
answer-not-utf8 = a resposta não é texto UTF-8 (outro conjunto de caracteres, como Latin-1), como o JSON tem de ser
answer-gzip = a resposta são dados comprimidos com gzip que não o dizem (sem Content-Encoding): o gateway, ou um proxy no caminho, comprime sem que se peça; avise quem opera o gateway
answer-wrong-shape = a resposta é JSON com outra forma que não a de uma lista de passos ({ $detail })
answer-wrong-shape-step = a resposta é JSON com outra forma que não a de um passo ({ $detail })
answer-next-done = a resposta do passo seguinte nomeia { $step } mas marca-o como feito: contradiz-se, e não diz nem que nada resta nem qual é o passo seguinte. A lista deste stepsID diz que passos restam; avise o operador do gateway
answer-bad-steps-id = a lista do gateway dá um stepsID ({ $id }) que viola a regra de ids do contrato (de 1 a 64 letras a–z, A–Z, dígitos, - ou _), por isso não pode ser enviado de volta para listas seguintes nem para o passo seguinte. Avise quem gere o gateway; o id escrito não é a causa
answer-error-body = o gateway enviou o seu corpo de erro ({ $said }) com um estado de sucesso (HTTP 2xx): recusou o pedido, embora o estado diga outra coisa. Avise quem gere o gateway
json-at = deixa de ser JSON na linha { $line }, coluna { $column }
json-cut-at = para antes do fim na linha { $line }, coluna { $column }: a resposta foi cortada
json-stops-at = para na linha { $line }, coluna { $column }
json-kind-null = null
json-kind-boolean = um booleano
json-kind-number = um número
json-kind-string = uma cadeia de caracteres
json-kind-array = um array
shape-not-a-list = era esperado um objeto de passos; é { $kind }
shape-not-a-step = era esperado um objeto de passo ou null; é { $kind }
shape-no-steps = um objeto sem stepsID e sem passo; os seus membros são { $members }
shape-no-step = era esperado um objeto de passo ou null; é um objeto sem passo, cujos membros são { $members }
shape-live-without-id = a lista de um evento em direto não tem stepsID, num fluxo que acompanha vários
os-refused = a ligação foi recusada: nada está à escuta nesse endereço e porta
os-reset = o outro lado cortou a ligação
os-network-unreachable = esta máquina não tem rota para essa rede
os-host-unreachable = esta máquina não tem rota para esse anfitrião
os-network-down = a rede desta máquina está em baixo
os-timed-out = a ligação expirou
os-denied = esta máquina recusou-se a abrir a ligação (uma firewall ou uma definição de segurança)
os-not-a-folder = há um ficheiro onde deve haver uma pasta
os-read-only = o sistema de ficheiros é só de leitura
os-file-denied = permissão negada (este utilizador não o pode escrever, ou está bloqueado)
os-no-file-here = nenhum ficheiro pode ser criado nessa pasta (uma pasta do sistema como /proc ou /sys)
os-folder-gone = a pasta { $folder } já não existe: foi removida enquanto o assistente corria, e não é criada de novo
os-folder-in-the-way = há uma pasta onde deve haver um ficheiro
os-disk-full = o disco está cheio
os-addr-in-use = essa porta já está em uso (por um programa à escuta, ou por uma ligação acabada de fechar que a retém durante um minuto)
os-addr-not-available = esta máquina não tem esse endereço
net-closed-no-answer = o servidor fechou a ligação sem responder
net-bad-header = os cabeçalhos da resposta não são HTTP válido (um servidor avariado, ou algo no caminho que altera as respostas)
net-bad-chunks = os seus blocos (Transfer-Encoding: chunked) estão danificados
net-head-broken = os seus cabeçalhos estão danificados
net-tls-eof = a ligação foi fechada durante o handshake TLS
net-not-http = o que respondeu não é HTTP (outro serviço nessa porta, ou um servidor TLS onde o endereço diz http://)
net-cut-short = terminou antes do tamanho anunciado
net-stalled = começou, depois parou a meio, e nada mais chegou no tempo permitido
net-dns-unknown = o nome não é conhecido pelo DNS desta máquina
gw-transport = o pedido ao gateway falhou: { $detail }. Tente de novo; se persistir, verifique a rede
gw-answer-malformed = a resposta do gateway chegou, mas não é HTTP válido: { $why }. Tente novamente; se persistir, o gateway ou algo no caminho (um proxy) estraga as suas respostas: avise quem opera o gateway
gw-redirect-refused = o gateway redirecionou { $from } para { $to }, outro servidor ou uma ligação não segura; o stepwise não segue o redirecionamento. Indique em --api o endereço do próprio gateway
gw-redirect-same-server = o endereço do gateway redirecionou { $from } para { $to }, uma página do mesmo servidor que não é uma chamada de steps (uma página de início de sessão ou de portal, muito provavelmente); o stepwise não a segue nem envia o token para lá. Um gateway de steps responde às suas chamadas com JSON, não com um redirecionamento: peça a quem gere esse servidor que deixe passar as chamadas do gateway, ou dê a --api o endereço próprio do gateway
gw-redirect-to-https = o gateway em { $from } mudou para { $to } (https://); o stepwise não segue redirecionamentos. Use o endereço https:// em --api
gw-moved-away = o gateway redirecionou { $from } para { $to }, que respondeu HTTP { $status } sem corpo de erro de gateway: --api chegou ao gateway, e o redirecionamento dele leva a onde nenhum gateway de passos responde. Avise quem gere o gateway; se os passos se mudaram para lá de vez, experimente --api com esse caminho
gw-live-cut = o fluxo ao vivo do gateway foi cortado no meio de um evento. Volta a ligar-se sozinho; se isso se repetir, verifique os proxies entre aqui e o gateway
gw-live-not-offered = o gateway responde agora à chamada de eventos como um sem eventos ao vivo (HTTP 404 ou 405, sem código 2346), embora responda às listas: pode ter voltado de um reinício sem eles. Avise o operador do gateway se o acompanhamento ao vivo for esperado
gw-live-cut-direct = o gateway cortou o seu fluxo ao vivo a meio de um evento (nenhum proxy é usado aqui). Volta a ligar-se sozinho; se isso se repetir, avise quem opera o gateway (ou quem opera um proxy inverso à frente dele)
gw-live-silent = o fluxo ao vivo do gateway não enviou nada por { $secs } s, nem mesmo um sinal de manutenção. Volta a ligar-se sozinho; se isso se repetir, verifique a rede
gw-live-silent-no-keepalive = o fluxo ao vivo do gateway enviou os seus primeiros eventos e depois nada durante { $secs } s, nem mesmo o sinal de manutenção que o contrato pede pelo menos a cada 15 s: o gateway não envia sinais de manutenção, ou um proxy no caminho retém-nos. Volta a ligar-se sozinho, e uma alteração pode aparecer até { $secs } s atrasada; avise quem opera o gateway
gw-live-no-first-event = o fluxo ao vivo do gateway abriu mas não enviou nenhuma lista em { $secs } s (no máximo sinais de manutenção), embora as listas atuais venham de imediato: talvez um proxy o retenha. Volta a ligar-se sozinho e depois consulta as listas
gw-live-no-first-event-direct = o fluxo ao vivo do gateway abriu, mas não enviou nenhuma lista em { $secs } s (no máximo sinais de manutenção), embora as listas atuais venham logo; nenhum proxy é usado aqui, por isso o gateway, ou um proxy inverso à frente dele, retém-nas. Volta a ligar-se sozinho e depois consulta as listas em vez disso; avise quem opera o gateway
gw-live-other-events = o fluxo em direto do gateway enviou eventos do tipo «{ $kind }» e nenhum do tipo steps em { $secs } s: as listas dele chegam com outro tipo de evento que não o do contrato, pelo que nenhuma é lida. Volta a ligar-se sozinho e depois consulta as listas em vez disso; avise quem gere o gateway de que cada lista deve vir como `event: steps` (ou sem linha event)
gw-live-no-list-events = o fluxo em direto do gateway enviou só eventos do tipo «{ $kind }», sem lista neles, e nenhuma lista em { $secs } s, embora as listas atuais venham de imediato. Volta a ligar-se sozinho e depois consulta as listas em vez disso; se isto continuar, avise quem gere o gateway de que o fluxo deve enviar cada lista de imediato, como `event: steps`
gw-live-not-text = o fluxo ao vivo do gateway não é texto UTF-8. Verifique se --api aponta para um gateway de passos
gw-live-bad-line = o fluxo ao vivo do gateway tem uma linha que não é um campo de evento. Verifique se --api aponta para um gateway de passos
gw-live-lists = o estado ao vivo acompanha de 1 a 200 listas de uma vez, não { $count }
gw-live-said = o fluxo em direto do gateway enviou um erro: { $said }. Volta a ligar-se sozinho; se isto se repetir, avise o operador do gateway
gw-live-said-cause = o fluxo em direto do gateway enviou um erro: { $said }
gw-live-said-no-step = o fluxo em direto do gateway diz que este stepsID já não tem passos: { $said }. Comece de novo com o carAssociationID (o assistente fá-lo sozinho)
gw-live-contradicted = o fluxo em direto do gateway de { $count } listas disse que um stepsID já não tem passos ({ $said }), mas cada uma dessas listas responde quando pedida pelo seu stepsID: o gateway contradiz-se, e não se sabe a que veículo se referia. O stepwise passa a acompanhá-las por consulta; avise o operador do gateway
gw-live-contradicted-one = o fluxo em direto do gateway disse que este stepsID já não tem passos ({ $said }), mas a sua lista responde quando pedida por esse stepsID: o gateway contradiz-se. O stepwise passa a acompanhar a lista por consulta; avise o operador do gateway
gw-live-contradicted-unsent = { $count ->
    [one] O fluxo não tinha enviado nenhuma lista do stepsID { $ids }: talvez o que queria dizer
   *[other] O fluxo não tinha enviado nenhuma lista dos stepsIDs { $ids }: talvez quisesse dizer um deles
}
gw-live-left-out = o fluxo ao vivo do gateway enviou logo as listas atuais de { $sent } dos seus { $lists } stepsIDs, mas não { $count ->
        [one] a do stepsID { $ids }, que também deve
       *[other] as dos stepsIDs { $ids }, que também deve
    }: um veículo omitido nunca seria acompanhado. Em vez disso, as listas são pedidas; avise quem opera o gateway
gw-live-refused = o gateway recusa o seu fluxo ao vivo, mas responde às listas ({ $why }). Em vez disso, as listas são pedidas
gw-live-refused-401-none = o gateway recusa o seu fluxo ao vivo sem token (HTTP 401), mas responde às listas sem um: `stepwise login` não encontra nenhum necessário, portanto nenhum início de sessão muda isso. Em vez disso, as listas são pedidas; avise o operador do gateway se o acompanhamento ao vivo for esperado
gw-live-refused-401-sent = o gateway recusa para o seu fluxo ao vivo o token que as suas listas aceitam (HTTP 401): um novo início de sessão dá um igual, portanto nada muda. Em vez disso, as listas são pedidas; avise o operador do gateway se o acompanhamento ao vivo for esperado
gw-live-closed-soon = o fluxo ao vivo do gateway fechou pouco depois de enviar as suas listas, { $times } vezes seguidas (cada vez em menos de um minuto): não mantém nenhum fluxo aberto, por isso uma alteração apareceria atrasada. Em vez disso, as listas são pedidas; avise quem opera o gateway
gw-live-page = a chamada de eventos do gateway respondeu com uma página web (HTML) onde vai o seu fluxo de eventos: algo à frente do gateway (um proxy, uma firewall) pode estar a barrar fluxos. As listas são pedidas em vez disso; peça a quem gere a rede à frente do gateway que deixe passar text/event-stream, e se nada estiver à frente, avise o operador do gateway
gw-live-page-titled = a chamada de eventos do gateway respondeu com uma página web (HTML, «{ $said }») onde vai o seu fluxo de eventos: algo à frente do gateway (um proxy, uma firewall) pode estar a barrar fluxos. As listas são pedidas em vez disso; peça a quem gere a rede à frente do gateway que deixe passar text/event-stream, e se nada estiver à frente, avise o operador do gateway
gw-live-compressed = o fluxo em direto do gateway veio comprimido ({ $encoding }), embora o stepwise não o peça, por isso os seus bytes não são eventos: o gateway, ou um proxy no caminho, comprime-o. As listas são pedidas em vez disso; peça ao operador do gateway (ou a quem gere o proxy) que envie text/event-stream sem compressão
gw-live-foreign = o fluxo em direto do gateway enviou uma lista do stepsID { $answered }, que não lhe foi pedido, enquanto { $count ->
    [one] a lista pedida responde
   *[other] as { $count } listas pedidas respondem
} quando pedidas por stepsID, por isso a lista no ecrã foi mantida como está: avise o operador do gateway (ou quem gere um proxy ou cache pelo meio)
gw-user-info = o URL do gateway contém um nome de utilizador ou palavra-passe (user:password@host), que o stepwise não mostra nem envia. Retire-os do URL; o token do gateway vai em --token-file, STEPWISE_TOKEN ou no ficheiro de configuração
gw-bad-url = o URL do gateway { $url } não pode ser usada: { $reason }. Indique uma como http://127.0.0.1:8080
url-no-host = não tem anfitrião
url-bad-port = a porta não é um número de 1 a 65535
url-bad-ip = o endereço IP não é válido (um endereço IPv6 vai entre parênteses retos, p. ex. http://[::1]:8080)
url-ipv6-brackets = o seu endereço IPv6 não está entre parênteses retos, pelo que a porta não se distingue dele: escreva-o como http://[::1]:8080
url-port-twice = a sua porta está escrita mais de uma vez (um segundo :número depois do anfitrião): indique-a uma só vez
url-query = contém uma consulta (?…), que o stepwise nunca envia: indique o URL base do gateway sem ela (um token vai em --token-file, STEPWISE_TOKEN ou `stepwise login`)
url-ipv6-zone = o seu endereço IPv6 traz uma zona (%eth0), que o anfitrião de um URL não pode trazer aqui: indique o endereço global do gateway ou um nome de anfitrião
url-ipv6-unclosed = o seu endereço IPv6 abre um parêntese reto [ que nenhum ] fecha: escreva-o como http://[::1]:8080
url-bad-host = o nome do anfitrião tem um carácter que nenhum nome de anfitrião pode ter (um espaço?)
url-not-absolute = não é um URL completo
url-not-http = só http:// e https:// são aceites
gw-bad-path = não foi possível montar o URL de { $path }: { $detail }
gw-bad-token = o token tem caracteres que um cabeçalho não aceita; verifique o ficheiro do token
gw-http-setup = não foi possível preparar o cliente HTTP: { $detail }
gw-demo-unavailable = não foi possível iniciar o simulador embutido numa porta local: { $detail }
gw-demo-state = o simulador integrado não pode guardar o seu estado em { $folder }: { $detail }. Isso tem de ser uma pasta onde este utilizador possa escrever: corrija ou remova o que estorva, ou indique um gateway em --api
gw-demo-state-file = o simulador integrado não consegue guardar o seu estado em { $file }: { $detail }. Esse ficheiro e a sua pasta têm de poder ser escritos por este utilizador (sem disco cheio, sem ficheiro só de leitura ou bloqueado): corrija isso, ou dê a --api um gateway. Nenhum gateway tem culpa: não há nenhum
gw-400 = o gateway recusou o pedido como malformado
gw-400-todo = Verifique o id introduzido; se estiver certo, comunique o erro
gw-400-said-todo = As palavras dele dizem o que recusou (o id foi verificado antes do envio). Se referem um cabeçalho ou parâmetro, algo no caminho (um proxy) pode alterar os pedidos: avise quem gere a rede; caso contrário, comunique um erro
gw-400-filter-todo = As suas palavras referem o filtro de estado (stepsStatus): este gateway não o aceita. Liste sem ele (sem --status; no assistente, f até o filtro ficar em todos), e avise quem gere o gateway se precisar dele
gw-400-filter-unchosen-todo = As suas palavras referem o filtro de estado (stepsStatus), embora nenhum tenha sido escolhido: o stepwise pede todos os passos (stepsStatus=all, o valor por omissão do contrato, e depois sem stepsStatus), e nada escolhido aqui muda isso. Avise quem gere o gateway de que esta chamada é recusada
gw-400-id-todo = As palavras dele referem o id: o gateway não aceita o indicado (a regra dele para ids pode ser mais estrita do que letras a–z, A–Z, dígitos, - e _). Verifique o id com a conta do cliente
gw-400-coded = o gateway recusou o pedido com um código da aplicação
gw-400-coded-todo = A seguir, o que o código significa e o que o resolve
gw-401 = o gateway quer um token válido
gw-401-todo = Inicie sessão com `stepwise login`, ou indique um token com --token-file CAMINHO, STEPWISE_TOKEN ou `token` no ficheiro de configuração
gw-403 = este stepsID pertence a outro dispositivo
gw-403-todo = Recomece com o carAssociationID
gw-403-refused = o gateway recusa este pedido
gw-403-refused-todo = As palavras dele dizem porquê (uma conta ou um veículo que não permite); confirme o carAssociationID com a conta do cliente, ou pergunte a quem gere o gateway
gw-404 = o gateway não conhece este id
gw-404-todo = Verifique o carAssociationID ou o stepsID e tente de novo
gw-404-steps-id = o gateway não tem nenhum passo para este stepsID: não o conhece, ou esqueceu-o
gw-404-steps-id-todo = Peça a lista de novo pelo carAssociationID (`stepwise steps --car ID`): ela dá o stepsID atual do veículo
gw-404-unnamed = nada foi encontrado para esta chamada neste endereço: um id que o gateway não conhece, ou um caminho que nada serve ali
gw-404-unnamed-todo = Verifique o carAssociationID ou o stepsID; se todos os ids recebem esta resposta, --api não aponta para o gateway de passos (o 404 de um router): verifique --api
gw-404-call = o gateway recusou a chamada do passo seguinte, sem o código 2346 (a marca dele de um stepsID que não conhece)
gw-call-not-served = o gateway não atende a chamada do passo seguinte (um método ou uma chamada que não oferece), seja qual for o stepsID
gw-404-call-todo = Se `stepwise steps --steps-id ID` mostra os passos deste veículo, o id está certo e o gateway não oferece a chamada do passo seguinte, ou algo à frente dele não a encaminha: avise o operador do gateway. Essa lista também mostra o passo seguinte (marcado NEXT)
gw-404-no-steps = o gateway não tem passos para este carAssociationID
gw-404-no-steps-todo = Verifique o carAssociationID; se estiver certo, este veículo não tem passos de ativação de serviços neste gateway: pergunte o motivo a quem o gere
gw-409 = o gateway recusou: um passo anterior não está feito
gw-409-todo = Conclua antes os passos anteriores
gw-429 = o gateway está a limitar os pedidos
gw-408 = o gateway, ou algo à frente dele, desistiu de esperar o pedido inteiro (uma ligação lenta ou interrompida), o que não é uma recusa
gw-408-todo = Tente de novo; se persistir, avise o operador do gateway (ou quem gere a rede à frente dele)
gw-429-todo = Espere um minuto e tente de novo
gw-429-todo-past = Ele ainda limita depois da espera que o seu Retry-After pediu (o stepwise esperou e perguntou novamente): espere um minuto e tente novamente; se continuar, avise quem opera o gateway
gw-429-todo-after = Espere { $secs } s (o Retry-After da resposta) e tente de novo
gw-429-todo-absurd = Pede para esperar { $wait } (o Retry-After dele), o que nenhum limite de pedidos exige: o relógio ou a configuração dele está errado. Avise o operador do gateway
gw-5xx = o gateway falhou
gw-proxy-5xx = o proxy respondeu com a sua própria página de erro (o gateway talvez não tenha sido alcançado)
gw-5xx-todo = Tente de novo num minuto; se persistir, avise quem opera o gateway
gw-5xx-todo-after = Tente de novo dentro de { $secs } s (o Retry-After da resposta); se persistir, avise quem opera o gateway
gw-5xx-todo-absurd = Pede para esperar { $wait } (o seu Retry-After), o que nenhum reinício exige: o seu relógio ou a sua configuração está errada. Tente de novo dentro de um minuto; se persistir, avise o operador do gateway
gw-other = o gateway recusou o pedido
gw-3xx = nenhuma lista voltou: um redirecionamento sem endereço utilizável, ou um "não modificado" de uma cache a um pedido que não o pedia
gw-3xx-todo = Algo entre aqui e o gateway (um proxy, uma cache), ou o gateway, está mal configurado: verifique --api, e avise quem gere a rede ou o gateway
gw-other-todo = Verifique --api e tente de novo
gw-other-said-todo = As palavras dele dizem porquê; se não ajudarem, avise quem gere o gateway
gw-reset-refused = o gateway recusou a redefinição da cache de passos
gw-reset-refused-todo = Redefinir de novo não vai ajudar. As palavras dele dizem porquê: se disserem que a conta ou o dispositivo está bloqueado, remova todos os registos da conta do cliente e comece de novo; caso contrário, avise quem opera o gateway
gw-reset-refused-conflict-todo = Um conflito (HTTP 409) pode significar que já está em curso uma reposição ou uma alteração para este veículo: aguarde um momento e reponha de novo; se persistir, avise o operador do gateway
gw-reset-refused-call-todo = HTTP { $status } não diz que a conta ou o dispositivo está bloqueado: o gateway, ou algo à frente dele, não aceitou a chamada tal como foi enviada. Verifique --api; se estiver certo, avise o operador do gateway, com as palavras dele
gw-app-code = Código da aplicação { $code }: { $meaning }; { $remedy }
gw-app-code-meaning = Código da aplicação { $code }: { $meaning }.
gw-code = código { $code }
gw-not-a-gateway = { $base } respondeu HTTP { $status } sem o corpo de erro de um gateway: este endereço não é um gateway de passos (um caminho errado em --api, ou outro servidor web). Indique em --api o URL base sob o qual fica pims/subscription/steps, como https://gateway.example/ ou https://host/prefixo/
gw-not-a-gateway-listed = { $base } respondeu HTTP { $status } sem o corpo de erro de um gateway, embora listas de outros veículos tenham vindo deste endereço nesta execução: o --api está certo, e o gateway muito provavelmente não conhece este id. Verifique o id; se estiver certo, avise quem opera o gateway (uma rota à frente dele pode recusar este único pedido)
gw-not-a-gateway-proxy = { $base } respondeu HTTP { $status } através do proxy { $proxy }, sem o corpo de erro de um gateway: a página do próprio proxy (um nome de anfitrião que não conseguiu resolver ou alcançar), ou um endereço que não é um gateway de passos. Verifique o nome de anfitrião em --api, ou defina NO_PROXY={ $host } se o gateway for alcançável sem o proxy; se o anfitrião estiver certo, indique em --api o URL base sob o qual fica pims/subscription/steps, como https://gateway.example/
gw-call-not-offered = { $base } respondeu HTTP { $status } sem corpo de erro de gateway à chamada { $call }. Se a lista por carAssociationID funciona neste endereço (`stepwise steps --car ID`), --api está certo e o gateway não oferece esta chamada, ou algo à frente dele não a encaminha: avise o operador do gateway. Se não, --api não é o URL base de um gateway de passos: dê o que fica acima de pims/subscription/steps, como https://gateway.example/
gw-not-a-gateway-path = { $base } respondeu HTTP { $status }: --api contém o caminho da chamada ({ $path }), que o stepwise acrescenta sozinho. Dê a --api o endereço anterior: { $suggested }
gw-basic-prompt = { $base } pede utilizador e palavra-passe (HTTP 401, Basic): a autenticação de um servidor web ou de um proxy inverso, a que o stepwise não pode responder; um gateway de passos aceita um token bearer. Verifique --api, ou peça a quem gere esse servidor para deixar passar os pedidos ao gateway
gw-windows-prompt = { $base } pede o início de sessão do Windows (HTTP 401, Negotiate ou NTLM): a autenticação de um servidor web ou de um proxy inverso, a que o stepwise não pode responder; um gateway de passos aceita um token bearer. Verifique --api, ou peça a quem gere esse servidor que deixe passar os pedidos ao gateway
gw-refused = { $base } respondeu HTTP { $status }{ $said }{ $via } sem corpo de erro no formato do contrato do gateway: tomado como acesso recusado por algo à frente do gateway (uma firewall, uma firewall aplicacional ou um proxy inverso), não como um stepsID recusado. Verifique o token e as respetivas permissões; se estiverem certos, pergunte a quem gere a rede se esta bloqueia este endereço
gw-refused-no-token = { $base } respondeu HTTP { $status }{ $said }{ $via } sem corpo de erro no formato do contrato do gateway: tomado como acesso recusado por algo à frente do gateway (uma firewall, uma firewall aplicacional ou um proxy inverso), não como um stepsID recusado. Não foi enviado nenhum token. Onde nenhum veículo recebe a sua lista deste gateway sem token, o gateway talvez queira um: indique-o (--token-file CAMINHO, STEPWISE_TOKEN, `stepwise login` ou, onde o gateway não oferece início de sessão, `stepwise login --with-token`). Onde outros veículos recebem as suas listas deste gateway sem token, não falta nenhum: pergunte a quem gere a rede ou o gateway porque é bloqueada a chamada deste veículo
gw-refused-via-proxy = { $base } respondeu HTTP { $status }{ $said } através do proxy { $proxy }, sem o corpo de erro de um gateway: o proxy, ou algo à frente do gateway, recusou o pedido. Pergunte a quem gere o proxy se deixa passar este endereço, ou defina NO_PROXY={ $host } se o gateway puder ser alcançado sem o proxy
gw-401-via-proxy = { $base } respondeu HTTP 401{ $said } através do proxy { $proxy }, uma página web, não o corpo de erro de um gateway: o proxy, um portal à frente dele, ou algo à frente do gateway (um proxy inverso, um servidor web) pede um início de sessão próprio, a que nenhum token do gateway responde. Inicie sessão nele num navegador nesta máquina, ou pergunte a quem gere o proxy e o gateway; ou defina NO_PROXY={ $host } se o gateway for alcançável sem o proxy
gw-401-bare-through-proxy = Esta resposta veio através do proxy { $proxy } (de { $from }) como um HTTP 401 vazio, sem corpo e sem desafio, que o próprio proxy pode ter dado: se um token não passar dele, pergunte a quem gere o proxy se pede um início de sessão próprio, ou defina NO_PROXY={ $host } se o gateway for alcançável diretamente
gw-front-400 = { $base } respondeu HTTP { $status }{ $said }{ $via } com uma página web, sem o corpo de erro de um gateway: algo à frente do gateway (um proxy inverso ou uma firewall de aplicações web) recusou o pedido, por isso o gateway nunca agiu sobre ele. O id não é a causa (o stepwise verifica-o antes de enviar), e --api está certo se já vieram listas dele: pergunte a quem gere esse endereço o que significa a página
gw-front-401 = { $base } respondeu HTTP 401{ $said } com uma página web e sem desafio de início de sessão (sem cabeçalho WWW-Authenticate), onde um gateway de passos responde com o seu corpo de erro e diz como quer o seu token: algo à frente do gateway (um proxy inverso, um servidor web ou um portal) pede um início de sessão próprio. Se vieram listas deste endereço sem token antes, não falta nenhum token do gateway: pergunte a quem gere a rede ou o gateway o que pede este início de sessão; caso contrário, pergunte-lhes se o gateway quer um token aí
gw-proxy = o proxy { $proxy } (de { $from }) respondeu ele próprio HTTP { $status }{ $said }: o pedido nunca chegou ao gateway. { $todo }
gw-proxy-407-todo = O proxy quer nome de utilizador e palavra-passe: coloque-os na variável do proxy (http://utilizador:palavra-passe@proxy:porta), ou defina NO_PROXY para o anfitrião do gateway se este puder ser alcançado diretamente
gw-proxy-windows-todo = O proxy pede início de sessão do Windows (Negotiate ou NTLM), que o stepwise não consegue dar: nenhum utilizador e palavra-passe na variável do proxy lhe responde. Peça a quem gere o proxy que deixe passar o endereço do gateway sem ele (ou que ofereça Basic), ou defina NO_PROXY para o anfitrião do gateway se for alcançável diretamente
gw-proxy-refused-todo = O proxy recusou o nome de utilizador e a palavra-passe: verifique-os na variável do proxy (http://utilizador:palavra-passe@proxy:porta), ou pergunte a quem opera o proxy
gw-proxy-401-basic-todo = Pede um utilizador e uma palavra-passe (Basic) com HTTP 401. Um proxy que pede assim (o tinyproxy pede) tira-os da variável do proxy (http://user:password@proxy:port); o início de sessão de um servidor web atrás do proxy não tira nenhum dela, e o stepwise não lhe consegue responder: então pergunte a quem o gere, ou defina NO_PROXY para o anfitrião do gateway se for alcançável diretamente
gw-proxy-401-basic-refused-todo = Pede um utilizador e uma palavra-passe (Basic) com HTTP 401 embora a variável do proxy traga alguns: o proxy recusou-os (verifique-os, com caracteres como @ ou : codificados em percentagem), ou o início de sessão é de um servidor web atrás do proxy, que não tira nenhum da variável do proxy e ao qual o stepwise não consegue responder. Pergunte a quem gere o proxy, ou defina NO_PROXY para o anfitrião do gateway se for alcançável diretamente
gw-proxy-portal-todo = O proxy, ou um portal à frente dele, pede um início de sessão próprio (o de um portal, ou um esquema diferente de Basic), a que nenhum utilizador e palavra-passe na variável do proxy responde: inicie sessão nele num navegador nesta máquina, ou pergunte a quem gere o proxy; ou defina NO_PROXY para o anfitrião do gateway se for alcançável diretamente
gw-proxy-forbidden-todo = O proxy recusa este pedido pelas suas próprias regras (este endereço, ou este cliente): peça a quem gere o proxy que deixe passar o endereço do gateway, ou defina NO_PROXY para o anfitrião do gateway se puder ser alcançado sem o proxy
gw-proxy-credentials-refused = o proxy { $proxy } (de { $from }) recusou o utilizador e a palavra-passe da variável de proxy (HTTP 407), pelo que o pedido nunca chegou ao gateway. Verifique-os (http://utilizador:palavra-passe@proxy:porta, com caracteres como @ ou : codificados em percentagem), ou pergunte a quem gere o proxy
gw-proxy-5xx-todo = O proxy não passou este pedido. Se nada passa por ele até este --api, verifique se o gateway está em execução e se --api está certo; se outros pedidos passam (listas de outros veículos), o proxy falha neste: pergunte a quem o opera
gw-proxy-5xx-wait-todo = O proxy não reencaminhou este pedido, e pede para esperar { $secs } s (o seu Retry-After): tente novamente depois disso. Se nada passa por ele até esta --api, verifique se o gateway está a correr e se --api está certa; se outros pedidos passam (listas de outros veículos), o proxy falha neste: pergunte a quem o gere
gw-proxy-loopback = o gateway está nesta máquina ({ $host }), mas { $from } envia os pedidos dele ao proxy { $proxy }, que respondeu ele próprio HTTP { $status }: o pedido nunca chegou ao gateway. O proxy (ou um para o qual ele reencaminha) não alcança os endereços próprios desta máquina: defina NO_PROXY={ $host } e tente de novo
gw-proxy-loopback-tunnel = o gateway está nesta máquina ({ $host }), mas { $from } envia os pedidos dele ao proxy { $proxy }, que não abriu um túnel (CONNECT) até ele: o pedido nunca chegou ao gateway. O proxy (ou um para o qual ele reencaminha) não alcança os endereços próprios desta máquina: defina NO_PROXY={ $host } e tente de novo
gw-proxy-loopback-down = nada escuta em { $host }:{ $port }, o endereço do gateway nesta máquina (tentado diretamente): o gateway não está a correr ali, pelo que o proxy { $proxy } (de { $from }) também não o conseguiu alcançar. Verifique se o gateway está a correr e se a porta em --api está certa
gw-proxy-other-todo = Verifique { $from } (a variável do proxy em uso), defina NO_PROXY para o host do gateway se for alcançável sem o proxy, ou pergunte a quem gere o proxy
gw-proxy-429-todo = O proxy está a limitar os pedidos: espere alguns minutos (o seu Retry-After, se deu um) e tente de novo; se continuar, pergunte a quem gere o proxy
gw-proxy-429-wait-todo = O proxy está a limitar os pedidos e pede para esperar { $secs } s: tente de novo depois disso; se continuar, pergunte a quem gere o proxy
gw-proxy-unset-407 = um proxy desta rede respondeu ele próprio HTTP { $status }{ $said }, embora nenhum esteja configurado aqui, pelo que o pedido nunca chegou ao gateway. Defina HTTPS_PROXY (HTTP_PROXY para um gateway http://) como http://utilizador:palavra-passe@proxy:porta com o endereço desse proxy, ou pergunte ao administrador da rede
gw-proxy-unreachable = não foi possível ligar ao proxy { $proxy } (de { $from }): { $detail }. O gateway não chegou a ser consultado. Verifique a variável do proxy, ou defina NO_PROXY={ $host } se o gateway puder ser alcançado sem o proxy
gw-proxy-silent = o proxy { $proxy } (de { $from }) não abriu caminho até { $host } em { $secs } s: não aceitou a ligação, ou aceitou-a e nunca respondeu. O gateway não foi consultado. Verifique se o proxy está a funcionar e se a variável de proxy o indica, pergunte a quem gere o proxy, ou defina NO_PROXY={ $host } se o gateway for acessível sem o proxy
gw-proxy-tunnel = o proxy { $proxy } (de { $from }) não abriu um túnel (CONNECT) para { $host }: o pedido nunca chegou ao gateway; recusa este anfitrião e esta porta, ou não conseguiu alcançar o gateway (em baixo, ou um nome que o proxy não conhece). Verifique se o gateway está a funcionar e se o anfitrião em --api está certo, pergunte a quem opera o proxy se deixa passar este anfitrião e esta porta, ou defina NO_PROXY={ $host } se o gateway puder ser alcançado sem o proxy
gw-proxy-no-tunnel = o que { $from } indica, { $proxy }, respondeu HTTP { $status } ao CONNECT: não abre túnel nenhum, portanto é um servidor web, ou um proxy que não consegue transportar https://. O gateway não foi consultado. Verifique { $from }: deve indicar um proxy HTTP que faça túnel de https (muitas vezes porta 3128 ou 8080)
gw-proxy-tunnel-closed = o proxy { $proxy } (de { $from }) abriu um túnel para { $host }, que depois foi fechado durante o handshake TLS: o proxy, ou o que está atrás dele, cortou-o. Pergunte a quem gere o proxy se deixa passar TLS para este anfitrião, ou defina NO_PROXY={ $host } se o gateway for alcançável sem o proxy
tls-or-plain-http = Ou o gateway na ponta fala HTTP simples nessa porta, enquanto --api diz https://: então use http:// em --api (`stepwise doctor` sem o proxy, NO_PROXY={ $host }, diz qual)
gw-proxy-garbled = o que voltou pelo proxy { $proxy } (de { $from }) não é HTTP: a variável do proxy talvez indique algo que não é um proxy HTTP, ou o proxy está avariado. Verifique a variável do proxy, pergunte a quem gere o proxy, ou defina NO_PROXY={ $host } se o gateway for alcançável sem o proxy
gw-proxy-empty = a resposta que veio pelo proxy { $proxy } (de { $from }) está vazia, onde se esperava uma lista de passos JSON: o proxy talvez tenha respondido por si, ou passado uma resposta vazia. Verifique a variável do proxy, pergunte a quem gere o proxy, ou defina NO_PROXY={ $host } se o gateway for alcançável sem o proxy
gw-proxy-html = o que veio pelo proxy { $proxy } (de { $from }) é uma página HTML, onde se esperava uma lista de passos JSON: a página do próprio proxy (uma página de início de sessão ou portal), ou um servidor web em --api. Defina NO_PROXY={ $host } se o gateway puder ser alcançado sem o proxy; caso contrário, verifique se --api aponta para um gateway de passos
gw-proxy-no-list = o que veio pelo proxy { $proxy } (de { $from }) não é uma lista de passos: { $why }. O proxy pode ter respondido ele próprio, ou o que responde em --api não é um gateway de passos. Defina NO_PROXY={ $host } se o gateway puder ser alcançado sem o proxy; se já vieram listas deste --api, pergunte a quem gere o proxy o que respondeu; se não, verifique se --api aponta para um gateway de passos
gw-proxy-too-large = o que veio pelo proxy { $proxy } (de { $from }) passa de { $kib } KiB e não foi lido além disso: nenhuma lista de passos é tão grande. O proxy pode ter respondido ele próprio, ou o que responde em --api não é um gateway de passos. Defina NO_PROXY={ $host } se o gateway puder ser alcançado sem o proxy; se já vieram listas deste --api, pergunte a quem gere o proxy o que respondeu; se não, verifique se --api aponta para um gateway de passos
gw-proxy-closed = o proxy { $proxy } (de { $from }) fechou a ligação sem resposta: não se sabe se o gateway foi consultado. Tente novamente; se persistir, pergunte a quem gere o proxy, ou defina NO_PROXY={ $host } se o gateway for alcançável sem o proxy
gw-proxy-connect-closed = o proxy { $proxy } (de { $from }) fechou a ligação sem responder ao pedido de túnel (CONNECT) para { $host }, por isso o gateway não foi consultado. Tente novamente; se persistir, pergunte a quem gere o proxy se deixa passar este anfitrião, ou defina NO_PROXY={ $host } se o gateway for alcançável sem o proxy
gw-401-none = HTTP 401: o gateway quer um token, e não foi enviado nenhum. Inicie sessão com `stepwise login`, ou indique um token com --token-file CAMINHO, STEPWISE_TOKEN ou `token` no ficheiro de configuração
gw-401-expired = O token expirou há { $ago }, pela validade escrita nele: por isso é recusado
gw-401-said = O gateway diz: «{ $said }»
gw-401-none-no-signin = HTTP 401: o gateway quer um token e nenhum foi enviado. Não oferece início de sessão: o seu token vem de quem o gere. Guarde esse token com `stepwise login --with-token`, ou indique-o com --token-file CAMINHO, STEPWISE_TOKEN ou `token` no ficheiro de configuração
gw-404-demo = HTTP 404: o backend de demonstração não conhece este id{ $said }. Nenhum gateway está configurado (nem --api, nem STEPWISE_API, nem `api` no ficheiro de configuração), por isso respondeu a demo incorporada, que conhece só { $ids }. Para consultar o seu gateway, indique --api URL
gw-404-demo-steps-id = HTTP 404: o backend de demonstração não conhece este stepsID{ $said }. Nenhum gateway está configurado (nem --api, nem STEPWISE_API, nem `api` no ficheiro de configuração), por isso respondeu a demo incorporada. Os stepsIDs dela vêm com uma lista pedida por carAssociationID (ela conhece { $ids }): `stepwise steps --car ID` dá um. Para consultar o seu gateway, indique --api URL
gw-404-demo-wizard = HTTP 404: o backend de demonstração não conhece este id{ $said }. Nenhum gateway está configurado (nem --api, nem STEPWISE_API, nem `api` no ficheiro de configuração), por isso respondeu a demo incorporada; o ecrã inicial oferece os ids que ela conhece. Para consultar o seu gateway, saia e comece de novo com --api URL
gw-404-demo-board = HTTP 404: o backend de demonstração não conhece este id{ $said }. Nenhum gateway está configurado (nem --api, nem STEPWISE_API, nem `api` no ficheiro de configuração), por isso respondeu a demo incorporada, que só conhece os seus próprios veículos (`stepwise demo --board` abre um painel com todos). Para consultar o seu gateway, saia e comece de novo com --api URL
gw-404-demo-command = HTTP 404: o backend de demonstração não conhece este id{ $said }. `stepwise demo` corre sempre na demonstração integrada, que só conhece os próprios ids (os que oferece). Para perguntar ao seu gateway, saia e execute `stepwise --api URL --car ID`, ou `stepwise fleet --api URL --cars FICHEIRO` para um painel
gw-401-login-unreadable = HTTP 401: o gateway quer um token, e não foi enviado nenhum: as sessões guardadas por `stepwise login` não puderam ser lidas: { $why }. Ou indique um token com --token-file CAMINHO, STEPWISE_TOKEN ou `token` no ficheiro de configuração
gw-401-login-damaged = HTTP 401: o gateway quer um token, e não foi enviado nenhum: { $why }, e depois execute `stepwise login` para voltar a iniciar sessão. Ou indique um token com --token-file CAMINHO, STEPWISE_TOKEN ou `token` no ficheiro de configuração
gw-401-config-no-signin = HTTP 401: o gateway recusou o token do ficheiro de configuração (`token` ou `token_file`). Não oferece início de sessão: o seu token vem de quem o gere. Coloque lá o token atual deste gateway
gw-401-environment-no-signin = HTTP 401: o gateway recusou o token em STEPWISE_TOKEN. Não oferece início de sessão: o seu token vem de quem o gere. Defina STEPWISE_TOKEN com o token atual deste gateway
gw-401-token-file-no-signin = HTTP 401: o gateway recusou o token de --token-file. Não oferece início de sessão: o seu token vem de quem o gere. Coloque nesse ficheiro o token atual deste gateway
gw-401-token-file = HTTP 401: o gateway recusou o token de --token-file. Coloque nesse ficheiro o token atual deste gateway, ou retire --token-file e inicie sessão com `stepwise login`
gw-401-token-file-login-kept = HTTP 401: o gateway recusou o token de --token-file, que tem prioridade sobre a sessão guardada para este gateway. Retire --token-file para usar essa sessão (o gateway acabou de a aceitar), ou coloque nesse ficheiro o token atual deste gateway
gw-401-token-file-login-refused = HTTP 401: o gateway recusou o token de --token-file, e também a sessão guardada para este gateway (testada agora). Coloque nesse ficheiro o token atual deste gateway; a sessão guardada também precisa de ser renovada (`stepwise login`, ou `stepwise login --with-token` onde o gateway não oferece início de sessão)
gw-401-environment = HTTP 401: o gateway recusou o token em STEPWISE_TOKEN. Defina-a com o token atual deste gateway, ou remova-a e inicie sessão com `stepwise login`
gw-401-environment-login-kept = HTTP 401: o gateway recusou o token em STEPWISE_TOKEN, que tem prioridade sobre a sessão guardada para este gateway. Remova STEPWISE_TOKEN para usar essa sessão (o gateway acabou de a aceitar), ou defina-a com o token atual deste gateway
gw-401-environment-login-refused = HTTP 401: o gateway recusou o token em STEPWISE_TOKEN, e também a sessão guardada para este gateway (testada agora). Defina STEPWISE_TOKEN com o token atual deste gateway; a sessão guardada também precisa de ser renovada (`stepwise login`, ou `stepwise login --with-token` onde o gateway não oferece início de sessão)
gw-401-config = HTTP 401: o gateway recusou o token do ficheiro de configuração (`token` ou `token_file`). Coloque lá o token atual deste gateway, ou remova-o e inicie sessão com `stepwise login`
gw-401-login = HTTP 401: o gateway recusou o token da sessão guardada por `stepwise login`. Inicie sessão de novo com `stepwise login`; num gateway de token fixo, guarde o atual com `stepwise login --with-token`
gw-token-dropped = HTTP 401: o gateway responde como se nenhum token o tivesse alcançado (o seu desafio não nomeia nenhum erro), embora o token indicado via { $from } tenha saído pelo proxy { $proxy }: o proxy pode estar a retirar o cabeçalho Authorization, por isso qualquer token seria recusado da mesma forma. Defina NO_PROXY={ $host } se o gateway for acessível sem o proxy, ou peça a quem opera o proxy para deixar passar o cabeçalho Authorization
gw-401-login-expired = HTTP 401: o token da sessão guardada por `stepwise login` expirou há { $ago }, e o fornecedor de identidade não deu nenhum token de atualização para o renovar: por isso o gateway recusa-o. Inicie sessão de novo com `stepwise login`
gw-401-login-no-signin = HTTP 401: o gateway recusou o token guardado com `stepwise login --with-token`. Não oferece início de sessão: o seu token vem de quem o gere. Peça o token atual e guarde-o com `stepwise login --with-token`
gw-wants-tls = o servidor em { $base } fala TLS, mas --api diz http://. Use https:// em --api
gw-port-plain-http = o servidor em { $base } fala HTTP simples, não TLS, mas --api diz https://. Use http:// em --api, ou a porta onde serve HTTPS
gw-port-not-http = o servidor em { $base } não fala HTTP nem TLS (começou com "{ $said }"): a porta em --api é de outro serviço. Verifique a porta
gw-port-not-http-here = o servidor em { $base } respondeu a este pedido com algo que não é HTTP nem TLS: um servidor avariado, ou não é o gateway. Verifique --api
gw-port-tls-closed = o servidor em { $base } aceitou a ligação e fechou-a durante o handshake TLS: talvez não fale TLS nesta porta, ou recuse este cliente. Verifique a porta em --api; `stepwise doctor` diz mais
gw-port-tls-silent = o servidor em { $base } aceitou a ligação mas não fez handshake TLS em { $secs } s: talvez a porta não fale TLS, ou o servidor bloqueou. Verifique a porta em --api; se estiver certa, avise quem gere o gateway
gw-redirects = o gateway em { $base } redireciona em círculo, ou vezes demais. Verifique --api (o endereço pode ter mudado); se estiver certo, avise quem opera o gateway
gw-connect-timed-out = nenhuma ligação a { $base } em { $secs } s: ninguém a aceitou (o servidor está sobrecarregado, ou uma firewall descarta os pacotes). Verifique a rede e --api, e tente de novo
gw-title-not-a-gateway = Não é um gateway de passos
gw-title-no-list-here = Sem lista para este id
gw-title-call-not-offered = Chamada não oferecida
gw-title-refused = Acesso recusado
gw-title-captive-portal = É preciso iniciar sessão na rede
gw-title-proxy = Resposta do proxy
gw-title-proxy-unreachable = Proxy inacessível
gw-title-token-refused = Token recusado
gw-title-scope = Falta um âmbito
gw-title-redirects = Redirecionamento em círculo
steps-many-summary-late = sem lista em { $secs } s (sem resposta, ou ainda não consultado: o stderr diz qual): { $n } ({ $ids })
steps-many-summary-failed = com falha: { $n } ({ $ids }), as causas estão no stderr
steps-many-summary = Veículos listados: { $listed } de { $total }
cli-shared-steps-id = um mesmo stepsID ({ $id }) veio para { $count } veículos ({ $cars }). Um stepsID pertence a um só veículo: um proxy ou cache entre aqui e o gateway (que ignora a consulta), ou o próprio gateway, mistura as respostas, pelo que estas listas podem ser de outro veículo. Não confie nelas; avise o operador do gateway (e o administrador da rede, onde houver um proxy configurado)
steps-many-late = sem resposta dentro do prazo de { $secs } s (--deadline); talvez responda numa próxima execução
steps-many-unsent = não consultado antes do prazo de { $secs } s (--deadline): esperava a sua vez, pois os veículos são consultados poucos de cada vez (--concurrency). Indique um --deadline maior ou um --concurrency maior
steps-many-unsent-hung = não consultado antes do prazo de { $secs } s (--deadline): os veículos consultados antes não tiveram resposta (o gateway está ocupado ou bloqueado), por isso um --deadline maior ou um --concurrency maior só envia mais pedidos para a mesma espera. Execute de novo quando o gateway responder (`stepwise doctor` verifica-o); se continuar assim, avise quem opera o gateway
steps-many-limited = o gateway continuou a limitar os pedidos (HTTP 429) até ao prazo de { $secs } s (--deadline): respondeu, mas pediu para esperar. Se a espera pedida (dita em stderr) for maior que { $secs } s, dê um --deadline maior que essa espera; se não, continua a limitar este cliente: tente mais tarde, ou pergunte ao operador do gateway pelo limite
steps-many-limited-longer = o gateway limitou os pedidos (HTTP 429) até ao prazo de { $secs } s (--deadline): pediu para esperar { $wait } s, mais do que o prazo. Dê um --deadline acima de { $wait } s, ou execute de novo depois dessa espera
steps-many-limited-again = o gateway continuou a limitar os pedidos (HTTP 429) até ao prazo de { $secs } s (--deadline): depois dos { $wait } s de espera que pediu, limitou-os de novo. Continua a limitar este cliente: tente mais tarde, ou pergunte ao operador do gateway pelo limite
steps-many-held-unsent = não consultado: o limite do gateway (HTTP 429, respondido a outro pedido) reteve cada pedido até ao prazo de { $secs } s (--deadline). Se a espera pedida (dita no stderr) for maior que { $secs } s, indique um --deadline maior do que essa espera; se não, continua a limitar este cliente: tente mais tarde, ou pergunte ao operador do gateway pelo limite
steps-many-retry-held = A nova tentativa foi então retida pelo limite do gateway (HTTP 429, pedido a outro pedido) até ao prazo de { $secs } s (--deadline).
steps-many-paused = O limite do gateway (HTTP 429, pedido a outro pedido) retém todos os pedidos durante mais { $secs } s: tente novamente depois disso.
steps-many-summary-limited = retidos por HTTP 429 até { $secs } s: { $n } ({ $ids })
steps-many-summary-shared = sob um stepsID com que também veio a lista de outro veículo, não fiáveis (o stderr diz porquê): { $n } ({ $ids })
gw-title-unreachable = Gateway inacessível
gw-title-timed-out = Gateway sem resposta
gw-title-timed-out-proxy = Sem resposta através do proxy
gw-title-bad-request = Solicitação recusada
gw-title-unauthorized = Token necessário
gw-title-wrong-device = stepsID de outro dispositivo
gw-title-forbidden = Recusado pelo gateway
gw-title-not-found = Id desconhecido
gw-title-no-steps = Sem passos
gw-title-conflict = Fora de ordem
gw-title-reset-refused = Redefinição recusada
gw-title-too-many = Demasiados pedidos
gw-title-server-failure = Falha do gateway
gw-title-failed = Solicitação falhou
gw-title-too-large = Resposta demasiado grande
gw-title-bad-answer = Resposta inutilizável
gw-title-config = Configuração incorreta

## The guidance pages the customer's phone opens

page-kicker = Ativar os seus serviços conectados: um dos passos
page-errors = Códigos que a aplicação pode mostrar neste passo
page-footer = Mostrado pelo seu concessionário com o stepwise
page-does = O que fazer:
page-needs = O que precisa:
page-errors-hint = Se a aplicação mostrar um destes códigos, informe o seu concessionário: ele sabe o que fazer.
page-unknown-purpose = A ferramenta do seu concessionário não tem instruções para este passo.
page-unknown-does =
    Abra a aplicação e siga o que ela pedir para este passo.
    Se a aplicação mostrar um código de erro, anote-o e mostre-o ao seu concessionário.
page-step-deviceActivation-purpose = Regista este telefone para a autenticação forte: o telefone é o que tem, o código PIN o que sabe.
page-step-mediumCarKey-purpose = Comprova que tem mesmo as chaves do veículo. Só precisa de ser feita uma vez.
page-step-trusterPhoneNumber-needs =
    O telefone cujo número será de confiança, ligado e capaz de receber SMS
    A aplicação móvel do veículo, com sessão iniciada na sua conta
page-step-deviceActivation-needs =
    O telefone a ativar, com o número de confiança capaz de receber SMS
    O seu código PIN, se já tiver um, ou um novo de que se vá lembrar
    Uma ligação de dados a funcionar no telefone
page-step-mediumCarKey-needs =
    O telefone já emparelhado com o veículo por Bluetooth
    As chaves do veículo, consigo dentro do veículo
    Localização e Bluetooth ligados nas definições do telefone

gw-title-tls = Falha na ligação segura
gw-title-live = Fluxo ao vivo com falha
gw-title-live-contradicted = Fluxo em direto contradiz as listas
gw-title-live-left-out = O fluxo ao vivo omite listas
gw-title-live-refused = Fluxo ao vivo recusado
gw-title-live-not-offered = Fluxo ao vivo já não oferecido
gw-title-live-page = Fluxo em direto respondido por uma página web
gw-title-live-compressed = Fluxo em direto comprimido
gw-title-token-dropped = Token perdido pelo caminho

## A TLS connection that failed, named; { $via } is empty or names the proxy

tls-via-proxy = { " " }(pelo proxy { $proxy })
tls-unknown-issuer = o gateway em { $base }{ $via } apresentou um certificado de um emissor desconhecido (uma autoridade privada, ou um proxy que inspeciona o TLS). Confie nessa autoridade com --ca-file FICHEIRO (o certificado dela, PEM), ou STEPWISE_CA_FILE; se já foi indicado um, não é a autoridade que assinou este certificado (um certificado de servidor em vez da respetiva autoridade, ou uma autoridade gerada de novo entretanto): use o certificado atual da autoridade do gateway. Ou o gateway não envia a autoridade intermédia que liga o certificado a essa autoridade (stepwise doctor diz)
tls-expired = o certificado do gateway em { $base } expirou. Verifique a data deste computador; se estiver certa, avise quem opera o gateway
tls-not-yet-valid = o certificado do gateway em { $base } ainda não é válido. Verifique a data e a hora deste computador; se estiverem certas, avise quem opera o gateway
tls-wrong-host = o certificado do gateway em { $base } não foi feito para { $host }. Use em --api o nome de anfitrião ou o endereço para o qual o certificado foi emitido
tls-wrong-host-names = o certificado do gateway em { $base } foi feito para { $names }, não para { $host }. Use um deles em --api, ou peça um certificado do gateway feito para { $host }
tls-no-host-names = o certificado do gateway em { $base } não nomeia nenhum anfitrião (sem nome alternativo do titular; o TLS já não lê só o nome comum). Nenhum --api resolve: peça a reemissão do certificado com o nome do anfitrião como nome alternativo do titular
tls-old-version = o certificado do gateway em { $base } é um certificado X.509 versão 1, que o TLS já não aceita. Nenhum --api, --ca-file ou certificado de cliente resolve: peça o certificado reemitido na versão 3, com o nome de anfitrião como nome alternativo do sujeito
tls-certificate-required = o gateway em { $base } exige um certificado de cliente. Indique um com --client-cert FICHEIRO --client-key FICHEIRO
tls-client-refused = o gateway em { $base } recusou o certificado de cliente ({ $alert }). Use um certificado emitido pela autoridade em que o gateway confia; `stepwise doctor` também verifica as datas dele
tls-client-expired = o gateway em { $base } diz que o certificado de cliente expirou. Peça um novo a quem o emitiu (--client-cert, --client-key) e verifique a data deste computador
tls-client-unsupported = o gateway em { $base } recusou o certificado de cliente como não suportado: quase sempre não foi feito para um cliente (o certificado de um servidor, cuja utilização de chave não inclui autenticação de cliente). Use um certificado emitido para autenticação de cliente (--client-cert, --client-key)
tls-authority-as-server = o gateway em { $base } apresenta o certificado de uma autoridade (CA:TRUE) como o seu próprio certificado de servidor, o que o TLS não aceita. Peça a quem opera o gateway para usar um certificado de servidor assinado por essa autoridade; o certificado da autoridade é o que vai em --ca-file
tls-handshake-refused = o gateway em { $base }{ $via } recusou o handshake TLS ({ $alert }). Verifique --api; se estiver certo, avise quem opera o gateway
tls-not-tls = o servidor em { $base }{ $via } não fala TLS. Verifique a porta, ou use http:// se o gateway não tiver TLS
tls-not-tls-proxy = pelo proxy { $proxy }, o que voltou para { $base } não é TLS: o proxy, ou um filtro atrás dele, respondeu no lugar do gateway (uma página de bloqueio, uma inspeção). Pergunte a quem gere o proxy se deixa passar TLS para este anfitrião, ou defina NO_PROXY={ $host } se o gateway for alcançável sem o proxy
tls-other = a ligação TLS com o gateway em { $base }{ $via } falhou: { $what }. Verifique --api, --ca-file e o certificado de cliente

## Step guidance

step-trusterPhoneNumber-title = Telefone de confiança
step-trusterPhoneNumber-purpose = Regista o número de telefone em que a conta vai confiar para os códigos de segurança. Precisa ser feito antes da ativação do dispositivo.
step-trusterPhoneNumber-needs =
    O telefone cujo número será de confiança, ligado e capaz de receber SMS
    A aplicação móvel do veículo, com a conta do cliente conectada
step-trusterPhoneNumber-does =
    Na aplicação, informar ou confirmar o número de telefone de confiança.
    Esperar o SMS com um código nesse número (pode levar um minuto).
    Introduzir o código SMS no campo de código da aplicação e confirmar.
    Se o código for recusado ou estiver vencido, pedir outro na aplicação e tentar de novo.

step-deviceActivation-title = Ativação do dispositivo
step-deviceActivation-purpose = Regista este telefone para a autenticação forte: o telefone é o que o cliente tem, o código PIN o que ele sabe.
step-deviceActivation-needs =
    O telefone a ativar, com o número de confiança capaz de receber SMS
    O código PIN do cliente, se já tiver um, ou um novo de que se lembre
    Uma ligação de dados a funcionar no telefone
step-deviceActivation-does =
    Iniciar a ativação do dispositivo na aplicação e aguardar o SMS no número de confiança.
    Introduzir o código SMS quando a aplicação pedir (no campo de código, não no do PIN).
    Introduzir o código PIN existente, ou criar um se a aplicação pedir.
    Se a conta estiver bloqueada (demasiados dispositivos ou ativações por SMS), remover os dispositivos associados não utilizados e recomeçar.
    Se o PIN estiver bloqueado após demasiadas tentativas erradas, redefini-lo na aplicação e ativar de novo.

step-mediumCarKey-title = Verificação CarKey
step-mediumCarKey-purpose = Comprova que o cliente tem mesmo as chaves do veículo. Só precisa ser feita uma vez.
step-mediumCarKey-needs =
    O telefone já emparelhado com o veículo por Bluetooth
    As chaves do veículo, com o cliente sentado dentro dele
    Localização e Bluetooth ligados nas definições do telefone
step-mediumCarKey-does =
    Sentar-se no veículo com as chaves e o telefone.
    Verificar que Localização e Bluetooth estão ligados e que o telefone mostra o veículo como emparelhado.
    Iniciar a verificação CarKey na aplicação e seguir as instruções sobre a chave.
    Ficar no veículo até a aplicação confirmar que deu certo.

step-generic-purpose = O stepwise não conhece este passo e não tem instruções próprias para ele.
step-generic-needs =
    O telefone do cliente com a aplicação aberto e ligado
    O que a aplicação pedir no ecrã (códigos, PIN, chaves, acesso ao veículo)
step-generic-does =
    Pedir ao cliente que abra a aplicação e siga as instruções deste passo.
    Anotar o nome do passo e qualquer código de erro mostrado.
    Procurar o passo na documentação do fabricante ou na ajuda do concessionário.
    Atualizar aqui a lista de passos quando o cliente terminar.

## App error codes

code-2000-meaning = Falha genérica
code-2000-remedy = Pedir ao cliente que tente de novo; se continuar a falhar, anotar o código e comunicar.
code-2201-meaning = O pedido expirou (timeout)
code-2201-remedy = Tentar de novo e verificar se o telefone tem boa cobertura móvel ou Wi-Fi.
code-2202-meaning = Sem ligação com a internet
code-2202-remedy = Verificar os dados móveis ou o Wi-Fi do telefone e tentar de novo.
code-2204-meaning = Erro do servidor
code-2204-remedy = Esperar um pouco e tentar mais tarde; comunicar se continuar a acontecer.
code-2301-meaning = É preciso autenticação básica
code-2301-remedy = Pedir ao cliente que saia da conta na aplicação, volte a iniciar sessão e tente outra vez.
code-2302-meaning = É preciso autenticação forte
code-2302-remedy = O cliente confirma com o código PIN (OTP com PIN) na aplicação e tenta de novo.
code-2305-meaning = O código SMS não é válido
code-2305-remedy = Pedir um novo código aa aplicação e digitá-lo com cuidado no campo de código.
code-2306-meaning = O código SMS expirou
code-2306-remedy = Pedir um novo código aa aplicação e informá-lo logo.
code-2307-meaning = A conta não tem número de telefone
code-2307-remedy = Registar antes um número de telefone de confiança (passo trusterPhoneNumber).
code-2308-meaning = O serviço de autenticação recusou o acesso
code-2308-remedy = Verificar o código SMS e o código PIN introduzidos, cada um no campo certo, e tentar de novo.
code-2310-meaning = A conta está bloqueada
code-2310-remedy = Remover os dispositivos associados da conta (pelo menos os não utilizados) e registar este telefone de novo.
code-2311-meaning = O estado da autenticação não está correto
code-2311-remedy = Redefinir a cache de passos (tecla R do assistente, ou `stepwise steps --car ID --reset`) e registar o dispositivo de novo.
code-2312-meaning = O dispositivo está desativado ou é desconhecido
code-2312-remedy = Redefinir a cache de passos (tecla R do assistente, ou `stepwise steps --car ID --reset`) e ativar o dispositivo de novo.
code-2317-meaning = Operação proibida com o PIN (dispositivo ativado, bloqueado ou atualizável)
code-2317-remedy = Redefinir a cache de passos (tecla R do assistente, ou `stepwise steps --car ID --reset`) e ativar o dispositivo de novo. Se persistir, a conta está bloqueada: remover todos os dispositivos associados e recomeçar.
code-2323-meaning = O utilizador não é o proprietário deste veículo
code-2323-remedy = Verificar se o veículo está associado à conta do cliente e se o carAssociationID está certo.
code-2341-meaning = CarKey: Localização ou Bluetooth desligado
code-2341-remedy = Ligar Localização e Bluetooth no telefone e repetir a verificação CarKey.
code-2342-meaning = CarKey: o telefone não está emparelhado com o veículo
code-2342-remedy = Emparelhar o telefone com o veículo por Bluetooth e repetir a verificação CarKey.
code-2346-meaning = Não há passo para este stepsID
code-2346-remedy = Recomeçar com o carAssociationID para obter uma lista de passos nova.
code-2354-meaning = CarKey: a posição da chave não é válida
code-2354-remedy = Pedir ao cliente que se sente no veículo com as chaves e repita a verificação CarKey.
code-2355-meaning = CarKey: assinatura inválida
code-2355-remedy = Repetir a verificação CarKey dentro do veículo com as chaves; comunicar se continuar a falhar.
code-2356-meaning = CarKey: carimbo de data/hora inválido
code-2356-remedy = Verificar se a data e a hora do telefone são automáticas e repetir a verificação CarKey.
code-2390-meaning = O número de telefone já está registado
code-2390-remedy = Nada a corrigir: seguir com esse número como número de confiança.

## Codes and strings the open clients show their users

client-maxnbtools-meaning = Conta bloqueada: limite de dispositivos associados / SMS recebidos
client-maxnbtools-remedy = Remover telefones e dispositivos associados não utilizados na aplicação móvel do veículo (redefinir a conta Stellantis) e ativar de novo. Se persistir, só o suporte do fabricante pode redefinir a conta, o que pode levar dias.
client-forbidden-meaning = O registo OTP foi recusado (mesma família de MAXNBTOOLS)
client-forbidden-remedy = Refazer a ativação do dispositivo desde o início. Se for recusada de novo, tratar como MAXNBTOOLS: remover os dispositivos não utilizados e redefinir a conta.
client-access-meaning = Código SMS ou código PIN inválido
client-access-remedy = Informá-los de novo: o código SMS no campo de código, o código PIN da aplicação no campo do PIN.
client-blocked-meaning = Demasiados códigos PIN errados: o PIN está bloqueado
client-blocked-remedy = Redefinir o código PIN na aplicação móvel do veículo e ativar o dispositivo de novo.
client-code-meaning = Provavelmente um código PIN da aplicação errado (não é certo)
client-code-remedy = Tentar de novo com o código PIN correto da aplicação.
client-sn-meaning = O código SMS não foi aceito (não é certo; visto quando outra coisa foi digitada ou preenchida automaticamente)
client-sn-remedy = Pedir um novo SMS e introduzir o código à mão.
client-need-authorization-meaning = O login na conta da marca precisa de uma nova autorização
client-need-authorization-remedy = Esperar e tentar mais tarde (muitas vezes no dia seguinte); voltar a iniciar sessão na aplicação móvel do veículo.
client-authentication-failed-meaning = E-mail, palavra-passe ou país da conta da marca errados
client-authentication-failed-remedy = Corrigir o e-mail, a palavra-passe ou o país e voltar a iniciar sessão.
client-invalid-grant-meaning = O token de login expirou ou foi revogado
client-invalid-grant-remedy = Voltar a iniciar sessão.
client-40400-meaning = Nenhum estado do veículo encontrado
client-40400-remedy = Verificar se o veículo está na conta do cliente; se persistir, remover o veículo e adicioná-lo de novo.
client-50000-meaning = O módulo de conectividade do veículo foi trocado (após um reparo) e o servidor não o reconhece mais
client-50000-remedy = Voltar a iniciar sessão; se persistir, o concessionário precisa registar o novo módulo.
client-50038-meaning = Erro temporário do lado do fabricante
client-50038-remedy = Tentar mais tarde.
client-no-matching-service-key-meaning = Este comando não faz parte do serviço contratado
client-no-matching-service-key-remedy = Usar o que a assinatura oferece (portas, buzina e luzes exigem um nível de serviço superior).
client-422-meaning = Comando remoto recusado: o modo de privacidade do veículo está ligado
client-422-remedy = Desligar o modo de privacidade no veículo e tentar de novo.
client-901-meaning = Comando remoto recusado: o veículo está a dormir
client-901-remedy = Acordar o veículo e tentar de novo.

## Limits that bite

limit-sms-activations = Cerca de 20 ativações por SMS bloqueiam a conta (para um utilizador, perto de 10): depois de duas falhas, explicar o código e parar.
limit-otp-codes = As aplicações não oficiais (clientes de código aberto, não o cliente do veículo) limitam-se a 6 códigos OTP a cada 24 h; o servidor provavelmente impõe esse limite.
limit-wake-ups = Essas aplicações limitam-se a 6 despertares a cada 20 minutos.

## Signing in

banner-sign-in-text = O gateway recusou o token (HTTP 401). Prima i para entrar aqui.
banner-sign-in-kept-fixed-text = O gateway recusou o token guardado por `stepwise login --with-token` (HTTP 401). Peça a quem gere o gateway o token atual, guarde-o com `stepwise login --with-token` e recomece; ou prima i para iniciar sessão aqui, se ele o oferecer (i diz se não).
banner-sign-in-given-text = O gateway recusou o token (origem: { $from }) (HTTP 401). Coloque aí o token atual dele e comece de novo; ou prima i para iniciar sessão aqui, se o gateway o oferecer (senão o i dirá).
banner-simulated = Cliente simulado
banner-simulated-text = O cliente simulado concluiu { $title }; a pedir a lista ao gateway.
banner-simulate-demo-only = s simula o cliente só no backend de demonstração
banner-simulate-demo-only-text = Aqui o cliente age no telemóvel. Com `stepwise serve`, um passo é concluído com: curl -X POST { $url }
banner-simulate-demo-only-token-text = Aqui o cliente age no telemóvel. Com `stepwise serve`, um passo é concluído com: curl -X POST -H "Authorization: Bearer TOKEN" { $url } (TOKEN: o token que este assistente envia)
banner-simulate-demo-only-fixed-text = Aqui o cliente age no telemóvel. Com `stepwise serve`, um passo é concluído com: curl -X POST -H "Authorization: Bearer TOKEN" { $url } (TOKEN: o token do gateway que guardou com `stepwise login --with-token`)
banner-simulate-demo-only-login-text = Aqui o cliente age no telemóvel. Com `stepwise serve`, um passo é concluído com: curl -X POST -H "Authorization: Bearer TOKEN" { $url } (TOKEN: um que o gateway aceite. O deste assistente vem de uma autenticação e nunca é mostrado: inicie `stepwise serve --auth` também com `--token T` e envie T)
banner-sign-in-none-text = O gateway quer um token, e não foi enviado nenhum (HTTP 401). Prima i para iniciar sessão aqui, se o gateway o permitir (senão, i avisa).
banner-sign-in-login-unreadable-text = O gateway quer um token, e não foi enviado nenhum (HTTP 401): as sessões guardadas por `stepwise login` não puderam ser lidas: { $why }. Saia, corrija isso e comece de novo, ou comece com --token-file CAMINHO.
banner-sign-in-again-text = { $why }: o login terminou. Prima «i» para voltar a iniciar sessão.
banner-signed-in = Sessão iniciada
banner-signed-in-watch-resumed = O acompanhamento, que o token recusado tinha parado, continua.
banner-signed-in-text = O token fica guardado no { $place }; os passos são pedidos de novo com ele.
banner-signed-in-given = Esta sessão usa-o; a próxima volta a usar o token indicado via { $from }, que prevalece sobre a sessão guardada: inicie-a sem { $from }.
banner-sign-in-failed = Falha ao entrar
report-sign-in-cancelled = cancelado antes de a aprovação chegar (Esc, ou o assistente terminou): nenhum token foi guardado
banner-sign-in-no-help = Nenhuma sessão iniciada
banner-sign-in-no-help-text = uma nova sessão com estas definições teria a mesma resposta. { $why }
banner-sign-in-failed-text = { $why }. Prima i para tentar de novo.
banner-sign-in-failed-fix-text = { $why }. Premir i de novo falha da mesma forma até que isso seja alterado.
banner-sign-in-settings-text = { $why }. Um assistente em execução lê as suas definições de início de sessão ao arrancar, e não aceita --client-id nem --scope: mude-as no ficheiro de configuração (`client_id`, `scopes`), depois saia (q) e volte a iniciá-lo.
banner-sign-in-wait-text = O fornecedor de identidade não dá código de momento ({ $said }) e pede para esperar { $wait }. Prima i depois dessa espera.
banner-sign-in-expired-text = O código expirou antes de ser aprovado. Prima i para um novo código, e aprove-o mais cedo.
banner-sign-in-denied-text = O início de sessão foi recusado (access_denied) para os scopes { $scopes }. Se foi recusado no navegador, prima i para iniciar sessão de novo. Se não, o fornecedor quer outros scopes: pergunte ao operador quais, depois saia, coloque-os como `scopes` no ficheiro de configuração e comece de novo.
banner-sign-in-stopped-text = O fornecedor de identidade terminou o início de sessão ({ $said }). Prima i para começar um novo.
banner-sign-in-not-offered-text = O gateway em { $gateway } não oferece início de sessão: usa um token fixo. Saia, guarde o token com `stepwise login --with-token` (ou indique-o com --token-file FICHEIRO ou STEPWISE_TOKEN) e comece de novo: um assistente em execução não lê um token guardado entretanto.
banner-sign-in-not-needed-text = O gateway em { $gateway } não oferece início de sessão, e respondeu sem token: aqui não precisa de nenhum, por isso não há onde iniciar sessão.
banner-sign-in-discovery-refused-text = O gateway em { $gateway } recusou o pedido dos seus metadados de início de sessão (HTTP 403): não publica nenhum para este cliente, ou uma firewall à frente dele bloqueia esse caminho. Peça um token a quem gere o gateway; depois saia, guarde-o com `stepwise login --with-token` (ou indique-o com --token-file FICHEIRO ou STEPWISE_TOKEN) e comece de novo.
banner-sign-in-not-offered-given-text = O gateway em { $gateway } não oferece início de sessão: aceita um token fixo e recusou o indicado (origem: { $from }). Saia, coloque aí o token atual dele e comece de novo (um token guardado com `stepwise login --with-token` não é usado enquanto { $from } der um).
help-section-sign-in = Iniciar sessão
key-short-sign-in = iniciar sessão
key-help-sign-in = iniciar sessão no gateway (após um token recusado) sem sair deste veículo
key-help-open-sign-in-page = abrir o endereço de login num navegador
key-help-cancel-sign-in = parar de entrar (nada é guardado)
gw-title-sign-in-again = Reautenticação necessária
gw-title-client-refused = Client id recusado
gw-title-tokens-not-taken = Tokens não aceites
gw-title-sign-in-failed = Falha ao entrar
gw-title-renewal-failed = Falha ao renovar o token
auth-denied = o início de sessão foi recusado (access_denied) para os scopes { $scopes }. Se ninguém o recusou no navegador, o fornecedor quer outros scopes: pergunte quais a quem o opera, defina-os com --scope ou `scopes` no ficheiro de configuração e execute `stepwise login` de novo
auth-denied-said = o início de sessão foi recusado (access_denied) para os âmbitos { $scopes }, e o fornecedor de identidade diz porquê: { $said }. Se isso nomeia a conta (um grupo, uma função), peça ao administrador do fornecedor que a deixe iniciar sessão no stepwise; se nomeia âmbitos, defina-os com --scope ou `scopes` no ficheiro de configuração, e execute `stepwise login` de novo
auth-expired = o código expirou antes de ser aprovado. Execute `stepwise login` de novo e aprove-o mais cedo
auth-sign-in-again = { $why }. Execute `stepwise login` para voltar a iniciar sessão
auth-client-refused-then = { $why }; depois inicie sessão com ele: `stepwise login --client-id ID`
auth-refused-fresh-then = { $why }; depois inicie sessão com ela: `stepwise login --audience URI`
auth-unreachable = não foi possível contactar o fornecedor de identidade em { $url }: { $detail }. Verifique a rede e tente novamente; se persistir, verifique o endereço do emissor (--issuer, STEPWISE_ISSUER ou `issuer` no ficheiro de configuração) se houver um; caso contrário, avise quem opera o gateway (os metadados de início de sessão dele indicam este fornecedor)
auth-proxy-407 = o proxy { $proxy } (de { $from }) respondeu ele próprio 407 à chamada de início de sessão para { $url }: o fornecedor de identidade não foi consultado. O proxy quer nome de utilizador e palavra-passe: coloque-os na variável do proxy (http://utilizador:palavra-passe@proxy:porta), ou defina NO_PROXY={ $host } se o fornecedor puder ser alcançado sem o proxy
auth-proxy-407-refused = o proxy { $proxy } (de { $from }) recusou o nome de utilizador e a palavra-passe da sua variável para a chamada de início de sessão para { $url } (407): o fornecedor de identidade não foi consultado. Verifique o nome de utilizador e a palavra-passe na variável do proxy, ou defina NO_PROXY={ $host } se o fornecedor puder ser alcançado sem o proxy
auth-proxy-401-basic = o proxy { $proxy } (de { $from }) respondeu ele próprio à chamada de início de sessão para { $url } com HTTP 401 e um login (Basic): o fornecedor de identidade não foi consultado. Um proxy que pede assim (o tinyproxy pede) toma utilizador e palavra-passe da variável do proxy (http://utilizador:palavra-passe@proxy:porta); ou defina NO_PROXY={ $host } se o fornecedor for alcançável sem o proxy
auth-proxy-401-basic-refused = o proxy { $proxy } (de { $from }) respondeu ele próprio à chamada de início de sessão para { $url } com HTTP 401 e um login (Basic), embora a variável do proxy traga utilizador e palavra-passe: recusou-os, e o fornecedor de identidade não foi consultado. Verifique-os na variável do proxy (caracteres como @ ou : codificados em percentagem), ou defina NO_PROXY={ $host } se o fornecedor for alcançável sem o proxy
auth-proxy-windows = o proxy { $proxy } (de { $from }) respondeu ele próprio com 407 à chamada de início de sessão para { $url }, pedindo início de sessão do Windows (Negotiate ou NTLM), que o stepwise não consegue dar: o fornecedor de identidade não foi consultado, e nenhum utilizador e palavra-passe na variável do proxy lhe responde. Peça a quem gere o proxy que deixe passar { $host } sem ele, ou defina NO_PROXY={ $host } se o fornecedor for alcançável sem o proxy
auth-proxy-answered = a chamada de início de sessão para { $url } passou pelo proxy { $proxy } (de { $from }) e voltou com HTTP { $status }{ $said } sem resposta do fornecedor de identidade: respondeu o próprio proxy, ou algo à frente do fornecedor. Pergunte a quem gere o proxy se deixa passar { $host }, ou defina NO_PROXY={ $host } se o fornecedor puder ser alcançado sem o proxy (um nesta máquina pode sempre)
auth-proxy-429 = a chamada de início de sessão para { $url } passou pelo proxy { $proxy } (de { $from }), que respondeu ele próprio HTTP 429{ $said }: o proxy está a limitar os pedidos. Espere um minuto e tente de novo; se continuar, pergunte a quem gere o proxy, ou defina NO_PROXY={ $host } se o fornecedor for acessível sem o proxy
auth-proxy-429-wait = a chamada de início de sessão a { $url } passou pelo proxy { $proxy } (de { $from }), que respondeu ele próprio HTTP 429{ $said }: o proxy está a limitar pedidos e pede para esperar { $secs } s. Tente novamente depois disso; se continuar, pergunte a quem gere o proxy, ou defina NO_PROXY={ $host } se o fornecedor for alcançável sem o proxy
auth-proxy-5xx = a chamada de início de sessão para { $url } passou pelo proxy { $proxy } (de { $from }), que respondeu ele próprio HTTP { $status }{ $said }: deixou passar a chamada e não obteve resposta de { $host } (em baixo, ou fora do alcance do proxy). Tente mais tarde; se persistir, pergunte a quem gere { $host } ou o proxy, ou defina NO_PROXY={ $host } se { $host } for acessível sem o proxy
auth-proxy-5xx-loopback = a chamada de início de sessão a { $url } passou pelo proxy { $proxy } (de { $from }), que respondeu ele próprio HTTP { $status }{ $said }: o fornecedor de identidade { $host } está nesta máquina, que um proxy noutro lugar não alcança, por isso tentar de novo dá o mesmo. Defina NO_PROXY={ $host } (um fornecedor nesta máquina é sempre alcançado sem o proxy)
auth-proxy-closed = o proxy { $proxy } (de { $from }) fechou a chamada de início de sessão para { $url } sem resposta: não se sabe se o fornecedor de identidade foi consultado. Tente novamente; se persistir, pergunte a quem gere o proxy, ou defina NO_PROXY={ $host } se o fornecedor puder ser alcançado sem o proxy
auth-proxy-unreachable = não foi possível ligar ao proxy { $proxy } (de { $from }) para a chamada de início de sessão para { $url }: nada responde no endereço do proxy, por isso nada foi perguntado. Verifique a variável do proxy (anfitrião e porta), ou defina NO_PROXY={ $host } se o endereço puder ser alcançado sem o proxy
auth-proxy-silent = nenhuma resposta a tempo à chamada de início de sessão para { $url } através do proxy { $proxy } (de { $from }): o proxy, ou o fornecedor de identidade atrás dele, está calado. Tente novamente mais tarde; se persistir, pergunte a quem gere o proxy, ou defina NO_PROXY={ $host } se o fornecedor puder ser alcançado sem o proxy
auth-proxy-garbled = o que voltou através do proxy { $proxy } (de { $from }) para a chamada de início de sessão para { $url } não é HTTP válido: o proxy está avariado, ou a sua variável indica algo que não é um proxy HTTP. Verifique a variável do proxy, pergunte a quem o gere, ou defina NO_PROXY={ $host } se o fornecedor puder ser alcançado sem o proxy
auth-proxy-tunnel = o proxy { $proxy } (de { $from }) não abriu um túnel (CONNECT) para { $host } para a chamada de início de sessão para { $url }: nada foi perguntado lá. Pergunte a quem gere o proxy se deixa passar { $host }, ou defina NO_PROXY={ $host } se puder ser alcançado sem o proxy
auth-fronted = a chamada de início de sessão para { $url } foi recusada com HTTP { $status }{ $said } e uma página, não com a resposta do fornecedor de identidade (os erros dele são JSON): algo à frente do fornecedor (uma firewall, uma firewall de aplicações web, ou um proxy inverso ou o seu início de sessão) recusou-a. Tentar novamente ou voltar a iniciar sessão dá o mesmo: pergunte a quem gere a rede ou o fornecedor de identidade se deixa passar esta chamada
auth-no-endpoint = a chamada de início de sessão para { $url } recebeu HTTP { $status } sem erro OAuth: nenhum endpoint responde ali (um gateway de API à frente do fornecedor de identidade responde assim para uma rota que não tem, ou o fornecedor mudou-o de lugar). Avise quem gere o fornecedor de identidade ou o gateway; tentar novamente dá o mesmo, e um novo início de sessão só ajuda se os metadados do fornecedor nomearem agora outro endereço
auth-fronted-gone = a chamada de início de sessão para { $url } recebeu HTTP { $status }{ $said } e uma página, não a resposta do fornecedor de identidade (os erros dele são JSON): nada serve esse endereço, ou algo à frente do fornecedor responde por ele. Os metadados do fornecedor de identidade ainda o nomeiam, por isso tentar novamente ou voltar a iniciar sessão dá o mesmo: avise quem gere o fornecedor de identidade ou o gateway
auth-fronted-page = a chamada de início de sessão para { $url } recebeu HTTP { $status }{ $said } e uma página web, não o JSON do fornecedor de identidade: algo à frente do fornecedor (um portal, um proxy inverso ou a sua página de início de sessão) respondeu no seu lugar. Pergunte a quem gere a rede ou o fornecedor de identidade se deixa passar esta chamada
auth-no-answer = o fornecedor de identidade em { $url } aceitou a ligação mas não respondeu a tempo: está ocupado ou bloqueado. Tente novamente mais tarde; se persistir, avise quem o opera
auth-not-tls = o fornecedor de identidade em { $url } não fala TLS: verifique a porta no endereço do emissor (--issuer, STEPWISE_ISSUER ou `issuer` no ficheiro de configuração), ou use aí http:// se o fornecedor não tiver TLS
auth-tls-unknown-issuer = o fornecedor de identidade em { $url } apresentou um certificado de um emissor desconhecido (uma autoridade privada, ou um proxy que inspeciona TLS). Confie na autoridade dele com --ca-file FICHEIRO (o certificado dela, PEM), que quem gere o fornecedor dá; se --issuer (ou `issuer` no ficheiro de configuração) estiver errado, corrija-o
auth-tls-wrong-host = o certificado do fornecedor de identidade em { $url } não foi feito para o anfitrião dele. Verifique --issuer (ou `issuer` no ficheiro de configuração); se estiver certo, avise quem gere o fornecedor
auth-tls-dates = o certificado do fornecedor de identidade em { $url } expirou ou ainda não é válido. Verifique a data e a hora desta máquina; se estiverem certas, avise quem gere o fornecedor
auth-tls-other = a ligação TLS ao fornecedor de identidade em { $url } falhou ({ $code }). Verifique --issuer (ou `issuer` no ficheiro de configuração); se estiver certo, avise quem gere o fornecedor
auth-tls-old-version = o fornecedor de identidade em { $url } apresentou um certificado X.509 versão 1, que o TLS já não aceita. Nenhum --issuer ou --ca-file resolve: peça a quem gere o fornecedor que o reemita na versão 3, com o nome de anfitrião como nome alternativo do sujeito
auth-tls-no-host-names = o certificado do fornecedor de identidade em { $url } não nomeia nenhum anfitrião (sem nome alternativo do sujeito; um nome comum sozinho já não é lido pelo TLS). Nenhum --issuer ou --ca-file resolve: peça a quem gere o fornecedor que o reemita com o nome de anfitrião como nome alternativo do sujeito
auth-answered-badly = o endereço do fornecedor de identidade { $url } foi alcançado, mas { $detail }. Verifique o endereço do emissor (--issuer, STEPWISE_ISSUER ou `issuer` no ficheiro de configuração) se houver um; caso contrário, avise quem opera o gateway
auth-closed = o endereço do fornecedor de identidade { $url } aceitou a chamada e fechou a ligação sem responder: o fornecedor pode estar a reiniciar ou sobrecarregado, ou algo pelo caminho cortou-a. Tente novamente; se persistir, verifique o endereço do emissor (--issuer, STEPWISE_ISSUER ou `issuer` no ficheiro de configuração) se houver um, senão avise quem opera o gateway
login-title = Iniciar sessão em { $gateway }
login-open = Abra { $address } e introduza este código:
login-scan = Ou leia este código QR com um telemóvel:
login-qr-no-room = (Uma janela maior mostra um código QR do endereço.)
login-press-enter = Prima Enter para abrir o endereço no navegador.
login-waiting = A aguardar a aprovação (o código expira em { $left }; Ctrl-C cancela)…
err-login-output-closed = o código de início de sessão não pôde ser mostrado: a saída padrão está fechada ou é descartada (um pipe que deixou de ler, como `| head -1`, um descritor fechado ou /dev/null), por isso ninguém o pode aprovar. Nada foi guardado; execute `stepwise login` de novo com a saída num terminal ou num ficheiro
err-login-output-unwritable = o código de início de sessão não pôde ser mostrado: não foi possível escrever na saída padrão ({ $why }), por isso ninguém o pode aprovar. Nada foi guardado; execute `stepwise login` de novo com a saída num terminal ou num ficheiro onde se possa escrever
login-poll-limited = O fornecedor de identidade pede para esperar (HTTP 429, demasiados pedidos): a aprovação será verificada de novo dentro de { $secs } s. O código continua válido entretanto.
login-browser-opened = Endereço entregue ao navegador (se nenhum navegador o mostrar, abra o endereço acima por si).
login-browser-failed = Não foi possível abrir um navegador ({ $why }); abra o endereço manualmente.
login-signed-in = Sessão iniciada em { $gateway }.
login-token-expired-kept = Nota: pela validade escrita nele, este token expirou em { $time }; o gateway aceitou-o agora, mas pode recusá-lo a qualquer momento. Peça o token atual
login-token-untried-why = Token guardado para { $gateway }, mas não testado: { $why }. Se esse endereço estiver errado, corrija --api (ou `api` no ficheiro de configuração) e guarde o token de novo; caso contrário, o gateway diz se o aceita na próxima chamada (`stepwise steps --car ID`).
login-token-untried-silent = Token guardado para { $gateway }, mas não testado: o gateway aceitou a ligação e não respondeu em { $secs } s (ocupado ou bloqueado). Verifique se está em execução e responde; o gateway diz se aceita o token na próxima chamada (`stepwise steps --car ID`).
login-token-untried-proxy = Token guardado para { $gateway }, mas não testado: { $why }. Quando o proxy deixar passar o pedido (ou NO_PROXY o evitar), o gateway diz na próxima chamada se aceita o token (`stepwise steps --car ID`).
login-token-unjudged = Token guardado para { $gateway }, mas a resposta não diz se o gateway o aceita: { $why }. O gateway diz isso na próxima chamada (`stepwise steps --car ID`).
err-login-not-a-gateway = Token não guardado: { $why }
err-signin-not-a-gateway = Sessão não iniciada: este endereço não publica início de sessão, e a chamada de passos dele mostra porquê: { $why }
login-token-taken = Token guardado para { $gateway }: o gateway aceitou-o.
login-token-not-checked = Token guardado para { $gateway }, mas o gateway respondeu também sem token: não precisa de nenhum aqui, pelo que não se pode saber se aceita este. É enviado em cada chamada na mesma; `stepwise logout` esquece-o.
login-expires = O token expira às { $time }; ele é renovado antes disso.
login-kept = O token fica guardado no { $place }.
login-environment-wins = Nota: STEPWISE_TOKEN está definido aqui, e o seu token prevalece sobre este início de sessão em cada comando. Remova STEPWISE_TOKEN para usar o início de sessão.
login-file-notice = Nota: nenhum porta-chaves respondeu nesta máquina, por isso o token fica guardado num ficheiro que só o seu utilizador pode ler (modo 0600). `stepwise logout` remove-o.
login-file-notice-windows = Nota: nenhum porta-chaves respondeu nesta máquina, por isso o token fica guardado num ficheiro da pasta %LOCALAPPDATA% do seu utilizador, que o Windows só deixa ler a esse utilizador (e aos administradores do PC). `stepwise logout` remove-o.
login-file-chosen = Nota: o token é guardado no ficheiro, não num porta-chaves, porque STEPWISE_TOKEN_STORE=file o pede. `stepwise logout` remove-o.
login-keyring-too-small = Nota: o token é demasiado longo para { $name } (no máximo { $max } bytes por entrada), por isso fica guardado num ficheiro que só o seu utilizador pode ler. `stepwise logout` remove-o.
login-paste = Cole o token para { $gateway } e prima Enter (ele não é exibido; Esc ou Ctrl-C cancela):
place-keyring = porta-chaves ({ $name })
place-file = ficheiro { $path }
logout-none = Nenhum login guardado para { $gateway }; nada a remover.
logout-done = Desligado de { $gateway }; token removido do { $place }.
logout-still-given = Um token indicado via { $from } ainda está presente e ainda é usado.
token-from-token-file = --token-file
token-from-environment = STEPWISE_TOKEN
token-from-login = o login guardado
token-from-config = o ficheiro de configuração
status-gateway = Gateway:   { $gateway }
status-login-kept = Login:     guardado no { $place }
status-login-file-private = (legível só pelo seu utilizador)
status-login-file-open = (legível por outros utilizadores desta máquina: modo { $mode }; execute `chmod 600 { $path }`)
status-login-none = Login:     nenhum guardado (`stepwise login` inicia a sessão onde o gateway o oferece; `stepwise login --with-token` guarda um token fixo)
status-login-kept-unused = Login:     guardado no { $place }, sem uso: o token (origem: { $from }) tem prioridade
duration-days = { $n } d
duration-hours = { $n } h
duration-minutes = { $n } min
duration-seconds = { $n } s
status-expires = Validade:  { $time } (em { $left })
status-expires-renewed = Validade:  { $time } (em { $left }; renovado agora mesmo)
status-expired-refreshable = Validade:  expirou às { $time }; um token novo é obtido no próximo uso
status-renewal-failed = Renovação: tentada agora, e falhou: { $why }
status-expired = Validade:  expirou às { $time }
status-expires-ended = Validade:  { $time } (já não pode ser usado: o fornecedor de identidade terminou a sessão)
status-expires-unknown = Validade:  desconhecida (um token indicado manualmente)
status-expires-unknown-provider = Validade:  desconhecida (o fornecedor de identidade não deu uma validade utilizável)
status-refresh-auto = Renovação: automática, antes de expirar
status-refresh-ended = Renovação: nenhuma: o fornecedor de identidade acabou de terminar a sessão (a linha Renovação acima diz como). Execute `stepwise login`
status-refresh-failing = Renovação: automática, mas a renovação de agora falhou (a linha Renovação acima diz porquê); a próxima utilização pede de novo
status-refresh-none = Renovação: não é possível; volte a iniciar sessão quando ele parar de funcionar
status-refresh-fixed = Renovação: não é possível (um token dado à mão); quando deixar de funcionar, guarde o token atual do gateway com `stepwise login --with-token`
status-in-use-login = Em uso:    o login guardado
status-in-use-dropped = Em uso:    o token indicado via { $from }, mas não chegou ao gateway: { $why }
status-in-use-login-refused = Em uso:    o login guardado, mas o gateway acabou de recusar o seu token (HTTP 401): a próxima chamada renova-o uma vez; se o gateway recusar também esse, inicie sessão de novo com `stepwise login`
status-in-use-login-refused-fresh = Em uso:    a sessão guardada, mas o gateway acabou de recusar o token dela (HTTP 401), e também o renovado de imediato: { $why }
status-in-use-login-refused-fixed = Em uso:    o login guardado, mas o gateway acabou de recusar o seu token (HTTP 401): inicie sessão com `stepwise login` se o gateway oferecer início de sessão; senão peça o token atual a quem o opera, e guarde-o com `stepwise login --with-token`
status-in-use-spent = Em uso:    nada utilizável: o login guardado expirou. Execute `stepwise login`
status-in-use-renewing = Em uso:    o login guardado, assim que o fornecedor de identidade renovar o token: a renovação falhou por agora (a linha Renovação diz porquê); um novo login encontraria o mesmo fornecedor
status-in-use-spent-fixed = Em uso:    nada utilizável: o token guardado à mão (login --with-token) expirou. Guarde o token atual do gateway com `stepwise login --with-token`
status-in-use-ended = Em uso:    nada utilizável: o fornecedor de identidade terminou o login guardado. Execute `stepwise login`
status-in-use-client = Em uso:    nada utilizável: o fornecedor de identidade não aceita o id de cliente da sessão guardada. Inicie sessão com o que ele conhece: `stepwise login --client-id ID`
status-in-use-other = Em uso:    um token indicado via { $from } (tem prioridade sobre um login guardado)
status-in-use-not-tried = não testado: não foi possível perguntar ao gateway se o aceita: { $why }
status-in-use-other-expired = Em uso:    um token de { $from } (prevalece sobre uma sessão guardada), mas expirou em { $time }, pela validade escrita nele: ponha um atual lá, ou remova-o para usar uma sessão guardada
status-in-use-other-refused = Em uso:    um token de { $from } (prevalece sobre uma sessão guardada), mas o gateway acabou de o recusar (HTTP { $status }): ponha lá o token atual do gateway, ou remova-o para usar uma sessão guardada
status-in-use-other-scope = Em uso:    um token de { $from } (prevalece sobre uma sessão guardada), mas o gateway diz que lhe falta o âmbito { $scope } (HTTP { $status }): peça a quem emite os tokens do gateway um com esse âmbito
status-in-use-config = Em uso:    um token indicado via { $from } (uma sessão guardada, com `stepwise login`, teria prioridade sobre ele)
status-in-use-config-refused = Em uso:    um token indicado via { $from } (uma sessão guardada, com `stepwise login`, teria prioridade sobre ele), mas o gateway acabou de o recusar (HTTP { $status }): ponha lá o token atual do gateway, ou guarde um com `stepwise login` (ou `stepwise login --with-token`), que tem prioridade sobre ele
status-in-use-config-expired = Em uso:    um token indicado via { $from } (uma sessão guardada, com `stepwise login`, teria prioridade sobre ele), mas expirou em { $time }, pela validade escrita nele: ponha um atual lá, ou guarde um com `stepwise login` (ou `stepwise login --with-token`), que tem prioridade sobre ele
status-in-use-config-scope = Em uso:    um token indicado via { $from } (uma sessão guardada, com `stepwise login`, teria prioridade sobre ele), mas o gateway diz que lhe falta o âmbito { $scope } (HTTP { $status }): peça a quem emite os tokens do gateway um com esse âmbito
signin-asking = A pedir um código de início de sessão: o gateway nomeia o seu fornecedor de identidade, que dá o código…
signin-waiting = A aguardar a aprovação (o código expira em { $left }). Esc cancela; a sessão do veículo continua.
signin-no-browser = Nenhum navegador pode ser aberto aqui (sem sessão gráfica). Num telemóvel ou noutro computador, abra o endereço acima (ou leia o código QR dele) e introduza o código.
signin-no-browser-no-qr = Nenhum navegador pode ser aberto aqui (sem sessão gráfica). Num telemóvel ou noutro computador, abra o endereço acima e introduza o código.
signin-no-browser-local = Nenhum navegador pode ser aberto aqui (sem sessão gráfica), e o endereço acima só existe nesta máquina (loopback), por isso outro dispositivo também não o consegue abrir. Esc cancela; depois guarde um token com `stepwise login --with-token`, ou inicie o assistente no ecrã desta máquina.
signin-browser-failed = O navegador não abriu ({ $why }). Num telemóvel ou noutro computador, abra o endereço acima (ou leia o código QR dele) e introduza o código.
signin-browser-failed-no-qr = O navegador não abriu ({ $why }). Num telemóvel ou noutro computador, abra o endereço acima e introduza o código.
status-in-use-none = Em uso:    nenhum token. Execute `stepwise login` (`stepwise login --with-token` se o gateway não oferecer início de sessão), ou indique um com --token-file ou STEPWISE_TOKEN
status-in-use-none-fixed = Em uso:    nenhum token, e o gateway quer um. Não oferece início de sessão: o token vem de quem o gere. Guarde esse token com `stepwise login --with-token`, ou indique-o com --token-file ou STEPWISE_TOKEN
status-in-use-none-needed = Em uso:    nenhum token, e nenhum é necessário: o gateway em { $gateway } respondeu sem ele. Execute `stepwise steps --car ID` tal como está
status-in-use-none-unasked = Em uso:    nenhum token; não foi possível perguntar ao gateway em { $gateway } se quer um: { $why }. Assim que responder, `stepwise auth status` diz se quer um
status-unasked-no-client = a chamada não pôde ser feita com as definições de rede indicadas (stepwise steps diz quais)
status-login-trouble = Login:     { $why }
status-in-use-trouble = Em uso:    nenhum token: o login guardado não pode ser lido (veja a linha acima)

## O painel: muitos veículos de uma vez

board-title = { $count ->
    [one] painel de 1 veículo
   *[other] painel de { $count } veículos
}
board-sorted-by = ordenado por { $key }
board-sort-next = próximo passo
board-sort-progress = progresso
board-sort-freshness = última atualização
board-sort-id = ID
board-live-on-short = ao vivo: ligado
board-live-polling-short = ao vivo: ligado · consulta a cada { $secs } s
board-live-off-short = ao vivo: desligado
board-summary-ready = { $n ->
    [one] { $n } pronto
   *[other] { $n } prontos
}
board-summary-in-progress = { $n } em curso
board-summary-failing = { $n } com erro
board-summary-loading = { $n } à espera de resposta
limited-wait = HTTP 429: os pedidos esperam mais { $secs } s
board-filter = filtro:
board-fresh-never = ainda não
board-fresh-secs = há { $n } s
board-fresh-mins = há { $n } min
board-fresh-hours = há { $n } h
board-empty = Ainda nenhum veículo no painel: prima «a» para adicionar um.
board-none-match = Nenhum veículo corresponde ao filtro. Esc apaga-o.
board-col-car = carAssociationID
board-col-car-short = ID
board-col-progress = progresso
board-col-progress-short = passos
board-col-next = próximo passo
board-col-fresh = dados
board-col-error = erro
board-rows-window = { $from }–{ $to } de { $total }
board-n-of-m = { $done } de { $total }
board-ready = pronto
board-loading = a consultar…
board-held = retido (HTTP 429)
board-retrying-was = a tentar de novo (antes: { $was })
board-held-was = retido (antes: { $was })
board-remove-ask = Remover { $car } do painel? Prima «s» para remover ou «n» para manter.
board-add-prompt = Adicionar carAssociationID:
board-add-duplicate = { $car } já está no painel.
board-removed = { $car } removido
board-removed-text = Os seus pedidos foram parados; prima «a» para adicioná-lo de novo.
board-shared-steps-id = Um mesmo stepsID ({ $id }) para { $count } veículos
board-shared-steps-id-text = { $cars } receberam listas sob o mesmo stepsID, que pertence a um só veículo: um proxy ou cache entre aqui e o gateway (que ignora a consulta), ou o próprio gateway, mistura as respostas, pelo que estas linhas e as suas atualizações em direto podem mostrar a lista de outro veículo. Não confie nelas; avise o operador do gateway (e o administrador da rede, onde houver um proxy configurado).
board-turned-ready = { $count ->
    [one] { $cars } está pronto
   *[other] { $cars } estão prontos
    }
board-turned-ready-text = Todos os passos estão feitos: o cliente pode usar o serviço.
board-turned-unready = { $count ->
    [one] { $cars } já não está pronto
   *[other] { $cars } já não estão prontos
    }
board-live-on = { $count ->
    [one] Ao vivo: 1 veículo
   *[other] Ao vivo: { $count } veículos
}
board-live-off = Ao vivo: desligado
board-live-off-text = O painel já não se atualiza sozinho; r atualiza tudo agora.
board-live-stopped = Ao vivo parado para { $car }: { $what }
board-live-stopped-every = Ao vivo parado para todos os veículos: { $what }
board-live-stopped-text = { $why }. Acompanhá-lo só repetiria esta resposta; o ao vivo continua para os outros veículos. Depois de resolver, prima w duas vezes (ao vivo desligado, depois ligado) para o acompanhar de novo.
board-live-stopped-unknown-text = { $why }. Acompanhá-lo só repetiria esta resposta; o ao vivo continua para os outros veículos.
board-row-id-fix = O id de uma linha não se corrige no sítio: no painel, d remove esta linha e a adiciona o id certo (no ecrã deste veículo, Esc volta antes ao painel).
board-live-stopped-all-text = { $why }. Acompanhá-lo só repetiria esta resposta, e o ao vivo parou agora para todos os veículos do painel. Se todos receberam a mesma resposta, a causa é o gateway ou algo à frente dele, não cada id. Depois de resolver, prima w para os acompanhar de novo (o ao vivo está desligado).
board-vehicle-said = { $car }: { $what }
board-all-failed = { $count ->
    [one] O veículo falhou
   *[other] Todos os { $count } veículos falharam da mesma forma
}: { $what }
board-stream-said = Fluxo em direto de { $count } veículos: { $what }
board-nothing-to-watch-text = Todos os veículos estão prontos.
help-section-board = O painel
help-section-board-filter = O filtro do painel
help-section-board-add = Adicionar um veículo
help-section-board-remove = Remover um veículo
key-short-sort = ordenar
key-short-live = ao vivo
key-short-add = adicionar
key-short-remove = remover
key-short-keep = manter
key-help-board-move = escolher um veículo
key-help-board-open = abrir os passos do veículo escolhido (Esc volta ao painel)
key-help-board-filter = filtrar as linhas por texto (ID, próximo passo, erro)
key-help-board-sort = ordenar por próximo passo, progresso, idade dos dados ou ID
key-help-board-refresh = atualizar todos os veículos
key-help-board-live = manter todos os veículos ao vivo (atualizados sozinhos), ou parar
key-help-board-add = adicionar um veículo pelo seu carAssociationID
key-help-board-remove = remover o veículo escolhido (pergunta antes)
key-help-board-clear = apagar o filtro
key-help-board-sign-in = iniciar sessão no gateway (após um token recusado): cada veículo recusado por falta de token volta a pedir
key-help-filter-keep = manter o filtro e voltar às linhas
key-help-filter-clear = apagar o filtro
key-help-type-filter = introduzir o texto a procurar
key-help-add-submit = adicionar o veículo e pedir os seus passos
key-help-remove-now = removê-lo do painel

## Command-line help: what --help says of each command and option

# The words clap itself would say in English.
help-cli-usage = Uso:
help-cli-options = Opções
help-cli-arguments = Argumentos
help-cli-commands = Comandos
help-cli-command-value = COMANDO
help-cli-help = Mostrar a ajuda
help-cli-help-short = Mostrar a ajuda (mais detalhes com '--help')
help-cli-help-long = Mostrar a ajuda (um resumo com '-h')
help-cli-version = Mostrar a versão
help-cli-help-command = Mostrar esta mensagem ou a ajuda dos comandos indicados
help-cli-help-command-subcommand = Mostrar a ajuda destes comandos
help-cli-default = [padrão: { $value }]
help-cli-env = [ambiente: { $name }]
help-cli-values = [valores possíveis: { $values }]
# stepwise itself and its global options.
help-cli-stepwise = Guia o técnico pelos passos de ativação dos serviços de um veículo ligado
help-cli-stepwise-long =
    Guia o técnico pelos passos de ativação dos serviços de um veículo ligado.

    Sem gateway configurado (--api, STEPWISE_API ou o ficheiro de configuração), o assistente e os comandos steps/next usam o simulador embutido.
help-cli-stepwise-after = Códigos de saída de steps/next: 0 nenhum passo retornado está pendente (todo), 3 um passo retornado está pendente, 1 erro, 2 uso incorreto. Um comando recusa uma opção global que não usa.
help-cli-stepwise-api = URL base do gateway de passos, p. ex. http://127.0.0.1:8080 (sem nome de utilizador nem palavra-passe)
help-cli-stepwise-car = carAssociationID a abrir (letras a–z, A–Z, dígitos, - e _); repita para um painel de vários veículos (doctor usa um)
help-cli-stepwise-cars = Ficheiro de carAssociationIDs: um por linha (# inicia um comentário), ou um CSV com o id na primeira coluna
help-cli-stepwise-concurrency = Pedidos simultâneos ao gateway, para todo o painel ou todo o --cars
help-cli-stepwise-token-file = Ficheiro com o token (bearer) do gateway, sozinho numa linha
help-cli-stepwise-report = Gravar aqui o relatório de sessão ao sair (.json dá JSON, senão Markdown)
help-cli-stepwise-lang = Idioma dos ecrãs, da orientação, da saída em texto e destas mensagens: en, fr, de, it, es, nl, pt-BR ou pt-PT (pt: pt-BR; senão STEPWISE_LANG, lang do ficheiro de configuração, o idioma do sistema, inglês)
help-cli-stepwise-ca-file = Confiar também nas autoridades deste ficheiro PEM (senão STEPWISE_CA_FILE, `ca_file` do ficheiro de configuração, SSL_CERT_FILE)
help-cli-stepwise-client-cert = Apresentar este certificado de cliente (PEM; pode conter também a chave)
help-cli-stepwise-client-key = A chave privada do certificado de cliente (PEM)
# The commands and their options.
help-cli-demo = O assistente sobre o simulador embutido
help-cli-demo-autoplay = O cliente simulado conclui o próximo passo a cada poucos segundos
help-cli-demo-fresh = Recomeçar o backend de demonstração: esquecer os seus stepsIDs, caches e estados
help-cli-demo-board = Abrir o painel com os veículos do backend de demonstração (ou os de --car/--cars)
help-cli-fleet = O painel: muitos veículos de uma vez, uma linha cada (indique-os com --car, repetido, ou --cars FICHEIRO)
help-cli-serve = Executar o simulador do gateway de passos
help-cli-serve-addr = Endereço de escuta, HOST:PORTA (um nome de host é resolvido)
help-cli-serve-scenario = Ficheiro de cenário (JSON); senão o cenário embutido
help-cli-serve-token = Exigir este token (bearer) em cada pedido. Qualquer utilizador desta máquina o pode ler com `ps`: prefira --token-file ou STEPWISE_SERVE_TOKEN
help-cli-serve-fleet = Adicionar N veículos gerados, F0001..., em estados variados
help-cli-serve-churn = A cada SECONDS segundos, o próximo passo de um veículo gerado ao acaso (F0001…) é concluído; os incorporados ficam para jogar à mão
help-cli-serve-stream-events = Terminar cada fluxo de eventos após os primeiros N eventos (para ferramentas que precisam de uma resposta que termine)
help-cli-serve-log = Escrever uma linha por pedido na saída padrão: hora, método, caminho, estado, duração
help-cli-serve-tls = Servir HTTPS com um certificado gerado ao iniciar (para localhost e 127.0.0.1)
help-cli-serve-tls-dir = Gravar ali a autoridade (ca.pem), o certificado e a chave (senão sim-tls na pasta de dados)
help-cli-serve-client-ca = Exigir certificados de cliente assinados por esta autoridade (PEM)
help-cli-serve-auth = Ser também o fornecedor de identidade (`stepwise login`): clientes registados, scopes, início de sessão por dispositivo e por código de autorização (PKCE), tokens de renovação rotativos, revogação; POST /sim/device/CODE/approve ou /deny
help-cli-serve-token-ttl = Validade dos tokens que emite, em segundos
help-cli-login = Iniciar sessão no gateway (--api) com um código aprovado num navegador
help-cli-login-with-token = Ler em vez disso um token da entrada padrão: por pipe, ou colado num prompt que não o mostra (nunca de um argumento)
help-cli-logout = Revogar a sessão no fornecedor de identidade quando este oferece revogação, e esquecer o token guardado para o gateway (--api)
help-cli-logout-forget = Esquecer a sessão aqui mesmo quando não for possível contactar o fornecedor de identidade para a revogar
help-cli-auth = A entrada: quem, onde o token está guardado, quando expira
help-cli-auth-status = Indica o gateway, onde o token está guardado e quando expira (nunca o token); saída 0 com um token utilizável ou quando o gateway responde sem um, 1 caso contrário
help-cli-auth-status-json = Mostrar JSON
help-cli-steps = Mostrar os passos como lista de verificação (ou JSON); saída 3 enquanto um passo retornado estiver pendente
help-cli-steps-after =
    Com --status todo ou alreadyDone só esses passos são retornados: a saída diz então que está filtrada e nunca dá o serviço como pronto, e a saída 0 só significa que nenhum passo retornado está pendente.

    Com vários veículos (--car repetido, ou --cars FICHEIRO) cada um tem o seu bloco, ou com --json um objeto JSON por linha (JSON Lines); saída 1 quando algum veículo falhou (stderr nomeia cada um), senão 3 quando algum tem um passo pendente, senão 0.
help-cli-steps-steps-id = Atualizar pelo stepsID em vez de --car
help-cli-steps-status = Só os passos com este estado
help-cli-steps-reset = Limpar antes a cache de passos (resolve os erros da aplicação 2312/2317)
help-cli-steps-json = Mostrar JSON em vez da lista de verificação
help-cli-steps-deadline = Deixar de esperar após estes segundos no total (com vários veículos, indicar os que não responderam)
help-cli-doctor = Verificar tudo entre esta máquina e um assistente que funcione; saída 1 quando uma verificação falha
help-cli-doctor-json = Mostrar JSON
help-cli-completions = Mostrar os scripts de autocompletar do shell (bash, zsh, fish, powershell, elvish)
help-cli-completions-shell = O shell para o qual escrever os scripts de autocompletar
help-cli-man = Mostrar a página de manual (roff), p. ex. `stepwise man > stepwise.1`
help-cli-next = Mostrar o próximo passo pendente; saída 3 enquanto restar um
help-cli-next-after = `order` é a resposta do gateway sobre o próximo passo, tal como enviada: essa resposta numera à sua maneira o passo que retorna (a do SDK dá 1), então pode diferir da ordem do mesmo passo em `stepwise steps`.
help-cli-next-steps-id = O stepsID cujo próximo passo se pede (`stepwise steps` o mostra)
help-cli-next-json = Mostrar JSON
# Wrong arguments, said before anything runs.
cli-arg-error = stepwise: erro: { $message }
cli-arg-login-trouble = stepwise: aviso: nenhum token é enviado: { $why }
cli-arg-warning = stepwise: aviso: { $what }
device-unkept = o id do dispositivo não pode ser guardado em { $path } ({ $why }): cada execução é um dispositivo novo para o gateway, que recusa os stepsID de execuções anteriores como de outro dispositivo. Corrija isso: mova o que está no caminho, ou deixe este utilizador escrever ali
cli-waiting-limited = stepwise: o gateway limita os pedidos (HTTP 429): a aguardar { $secs } s como pede, depois nova tentativa (Ctrl-C interrompe)
cli-waiting-limited-past-deadline = stepwise: o gateway limita os pedidos (HTTP 429) e pede para aguardar { $secs } s, mais do que os { $left } s que restam do prazo (--deadline): o comando para no prazo. Indique um --deadline maior para aguardar, ou tente novamente mais tarde
cli-arg-not-used = { $command } não usa { $option }: { $why }
cli-arg-why-demo-api = funciona sempre sobre o simulador embutido. Para um gateway execute `stepwise --api URL`
cli-arg-why-demo-token-file = o simulador embutido não precisa de token. Para um gateway execute `stepwise --api URL --token-file PATH`
cli-arg-why-login-token-file = login guarda um token lido da entrada padrão, nunca de um ficheiro indicado com ele: `stepwise login --with-token < PATH`
cli-arg-why-logout-token-file = logout esquece a sessão guardada para o gateway, e não lhe envia nenhum token. Retire a opção
cli-arg-why-serve-api = ele é o próprio gateway. Aponte os clientes para o --addr dele
cli-arg-why-concurrency = ele é o gateway e não consulta nenhum gateway por si; --concurrency é para os clientes que o consultam. Retire a opção
cli-arg-why-concurrency-next = ele pede o passo seguinte de um veículo, num só pedido: nada corre ao mesmo tempo. Retire a opção
cli-arg-why-serve-car = o simulador responde por todos os veículos do seu cenário (escolha um com --scenario)
cli-arg-why-session-report = os relatórios de sessão vêm do assistente. Retire a opção
cli-arg-why-serve-client-cert = é o que um cliente apresenta. Para exigir certificados de cliente use serve --tls --client-ca FICHEIRO
cli-arg-why-doctor-report = mostra o seu relatório em vez disso. Use --json e redirecione a saída para guardá-lo
cli-arg-doctor-one-car = doctor verifica um só veículo: indique um só --car (sem --cars); os veículos de um painel verificam-se com `stepwise steps --cars FICHEIRO`
cli-arg-why-print-report = mostra o seu resultado em vez disso. Redirecione a saída para guardá-lo, p. ex. `--json > steps.json`
cli-arg-why-sign-in-car = a entrada é por gateway, não por veículo. Retire a opção
cli-arg-why-next-car = só pergunta por --steps-id. Obtenha um stepsID com `stepwise steps --car ID`
cli-arg-why-steps-cars = --steps-id pede uma só lista. Retire um dos dois
cli-arg-serve-token-twice = serve toma o token a exigir de --token ou de --token-file, não de ambos
cli-arg-serve-token-empty = serve --token está vazio, e assim não exigiria nenhum token. Indique o token, ou retire --token para um simulador aberto a todos
cli-arg-serve-churn = serve --churn precisa de --fleet N: conclui passos dos veículos gerados. Adicione p. ex. --fleet 200
cli-arg-seconds = indique um número de segundos de 0.1 a 86400, p. ex. 2
cli-arg-empty = está vazio: indique um valor, ou omita a opção para o valor predefinido
cli-arg-id = um id tem de 1 a { $max } letras a–z, A–Z, dígitos, '-' ou '_'
cli-arg-addr-no-port = falta a porta; indique HOST:PORTA, p. ex. 127.0.0.1:8080, localhost:8080 ou [::1]:8080
cli-arg-addr-no-host = falta o anfitrião em { $port }; indique HOST:PORTA, p. ex. 127.0.0.1:{ $port } (ou 0.0.0.0:{ $port } para a rede da oficina)
cli-arg-addr-port = a porta não é um número de 0 a 65535; indique HOST:PORTA, p. ex. 127.0.0.1:8080, localhost:8080 ou [::1]:8080
cli-arg-addr-host = o host não é um endereço nem um nome de host; indique HOST:PORTA, p. ex. 127.0.0.1:8080, localhost:8080 ou [::1]:8080
cli-arg-addr-scheme = começa com um esquema (http:// ou https://), que --addr não aceita; indique só HOST:PORTA, p. ex. { $given }
cli-arg-addr-ip = o endereço IP { $host } não é válido: cada uma das suas quatro partes é um número de 0 a 255; indique HOST:PORTA, p. ex. 127.0.0.1:8080 ou 192.168.1.20:8080
cli-arg-report-folder = --report { $path } é uma pasta. Indique um nome de ficheiro dentro dela, p. ex. { $example }
cli-arg-report-slash = --report { $path } termina com uma barra, como o caminho de uma pasta, e essa pasta não existe. Indique um nome de ficheiro, p. ex. session.md
cli-arg-report-not-a-file = --report { $path } não é um ficheiro normal (um dispositivo, um pipe ou uma ligação), e o relatório substituí-lo-ia. Indique o caminho de um ficheiro novo ou normal, p. ex. sessao.md
cli-arg-report-is-cars = --report { $path } é o ficheiro de ids indicado com --cars: o relatório substituiria a lista de veículos. Dê outro nome ao relatório, p. ex. sessao.md
cli-arg-report-is-token-file = --report { $path } é o ficheiro de token dado com --token-file: o relatório substituiria o token. Dê outro nome ao relatório, por exemplo session.md
cli-arg-report-is-config = --report { $path } é o ficheiro de configuração que esta execução lê: o relatório substituiria as definições. Dê outro nome ao relatório, por exemplo session.md
cli-arg-report-not-report = --report { $path } já é um ficheiro que não é um relatório do stepwise: o relatório substituí-lo-ia. Dê outro nome ao relatório, p. ex. sessao.md, ou mova antes esse ficheiro para outro sítio
cli-arg-report-in-data = --report { $path } está na pasta de dados do stepwise ({ $dir }), onde guarda as sessões e o id do dispositivo: o relatório poderia substituí-los. Dê ao relatório um caminho fora dela, por exemplo session.md
cli-arg-report-parent-file = --report { $path }: { $parent } não é uma pasta. Escolha outro caminho
cli-arg-report-no-folder = --report { $path }: a pasta { $parent } não existe. Crie-a ou escolha outro caminho
cli-arg-report-unwritable = --report { $path } não pode ser gravado ({ $why }). Escolha um caminho com permissão de escrita
cli-arg-report-unwritable-kept = --report { $path } não pode ser escrito ({ $why }). O relatório da sessão, com as notas, foi escrito em { $kept } em vez disso; verifique o que mudou nesse caminho desde que o assistente começou
cli-arg-unknown-lang = idioma desconhecido { $given } em { $place }; stepwise fala { $codes }
cli-arg-unknown-lang-config = idioma desconhecido { $given } em lang do ficheiro de configuração; stepwise fala { $codes }
cli-arg-man-failed = não foi possível gerar a página de manual: { $error }
cli-arg-cars-unreadable = não foi possível ler --cars { $path }: { $error }. Verifique o caminho (um id por linha, ou um CSV)
cli-arg-cars-workbook = --cars { $path } é um livro do Excel, não texto: no Excel, guarde-o com Guardar como, "CSV UTF-8", e indique esse ficheiro
cli-arg-cars-not-text = --cars { $path } não é um ficheiro de texto (tem caracteres de controlo): indique um ficheiro de texto com um carAssociationID por linha, ou um CSV
cli-arg-cars-bad = --cars { $path }: { $error }
cars-bad-line = linha { $line } "{ $id }"
cars-bad-more = e mais { $n }
cars-bad = { $lines }: não é um carAssociationID (de 1 a { $max } letras a–z, A–Z, algarismos, '-' ou '_'). Corrija ou remova { $count ->
    [one] essa linha
   *[other] essas linhas
}
cars-excel-number = Uma linha contém um número longo como o Excel o escreve (por exemplo 9,87654E+11): no Excel, formate a coluna como Texto, escreva os ids de novo e guarde novamente.
cars-heading-no-ids = a primeira linha "{ $heading }" não indica nenhuma coluna como carAssociationID, e nenhuma coluna abaixo contém só ids (um VIN ou uma matrícula não é um carAssociationID). Dê à coluna dos ids o título carAssociationID (ou ID do veículo), ou coloque um id por linha
cars-heading-ambiguous = a primeira linha "{ $heading }" não diz qual coluna contém o carAssociationID, e { $count } colunas abaixo poderiam contê-lo. Dê à coluna dos ids o título carAssociationID (ou ID do veículo), ou coloque um id por linha
cli-arg-cars-empty = --cars { $path } não contém nenhum carAssociationID. Coloque um id por linha
cli-arg-fleet-needs-cars = fleet precisa de veículos: indique --car ID (repetido) ou --cars FICHEIRO, p. ex. `stepwise fleet --cars ids.txt`
cli-arg-steps-needs-car = steps precisa de --car ID, --cars FICHEIRO ou --steps-id ID
steps-reset-asked = A cache de passos foi redefinida (resetSteps=true): a lista abaixo é a resposta do gateway após a redefinição.
cli-wrong-device-hint = Este dispositivo obtém o seu próprio stepsID com `stepwise steps --car ID`; indique esse em --steps-id.
cli-wrong-device-reset = A cache de passos não foi reposta: reponha-a pelo carAssociationID, com `stepwise steps --car ID --reset`.
cli-wrong-device-unkept = Esta execução não conseguiu guardar o seu id de dispositivo (veja o aviso acima): cada execução é então um dispositivo novo, e um stepsID só vale na execução que o obteve. Corrija primeiro a pasta de dados.
cli-arg-output-failed = não foi possível gravar a saída: { $error }. Verifique para onde vai a saída padrão (disco cheio?)
cli-arg-runtime = não foi possível iniciar o runtime assíncrono: { $error }
cli-arg-dumb-terminal = o assistente não consegue desenhar num terminal simples (TERM=dumb). Para scripts use `stepwise steps --car ID [--json]`, ou defina TERM, p. ex. TERM=xterm-256color
cli-arg-demo-scripts = Para os veículos da demo, `stepwise steps --car 987654` (ou 111111, 222222, 333333, 444444) responde a partir do mesmo simulador incorporado só onde nenhum gateway está configurado (nem --api, nem STEPWISE_API, nem `api` no ficheiro de configuração); os F0001… da demo do painel só existem dentro dela
cli-arg-no-terminal = o assistente precisa de um terminal interativo. Para scripts use `stepwise steps --car ID [--json]`
cli-arg-report-written = Relatório de sessão gravado em { $path }
cli-arg-report-empty = Nada a relatar: nesta sessão nenhum veículo foi aberto e nenhuma nota foi escrita ({ $path } regista-o).
cli-arg-report-notes-kept = As suas notas foram guardadas: nenhum --report foi dado, e a sessão terminou sem um segundo q, pelo que o relatório da sessão foi escrito em { $path }
cli-arg-report-notes-unkept = As suas notas não puderam ser escritas em nenhum relatório (os relatórios da pasta de dados também não podem ser escritos); aqui estão, para copiar:
cli-arg-report-earlier-kept = O relatório anterior nesse caminho foi guardado como { $path }
cli-arg-scenario-bad = { $error }. Corrija o ficheiro ou retire --scenario
scenario-unreadable = não foi possível ler o cenário { $path }: { $error }
scenario-not-json = o cenário { $path } não é o JSON de um cenário ({ $detail })
scenario-unknown-member = contém um membro { $member }, que um cenário não tem, na linha { $line }, coluna { $column }
scenario-missing-member-at = falta o membro { $member } no objeto que termina na linha { $line }, coluna { $column }
scenario-shape-at = a forma dele difere da de um cenário na linha { $line }, coluna { $column }
scenario-cut = o cenário { $path } para antes de o JSON terminar (linha { $line }, coluna { $column }): o ficheiro está cortado
scenario-syntax = o cenário { $path } não é JSON válido na linha { $line }, coluna { $column } (falta uma aspa, uma vírgula ou um parêntese reto, ou não é um ficheiro JSON): corrija-o aí
scenario-bad-id = o cenário { $path }: o carAssociationID { $id } não é feito de letras a–z, A–Z, algarismos, - ou _
scenario-id-twice = o cenário { $path }: o carAssociationID { $id } aparece duas vezes
scenario-step-names = o cenário { $path }: cada passo de { $id } precisa de um nome, cada nome uma só vez
cli-arg-addr-unresolved = não foi possível resolver --addr { $addr }: { $error }. Indique um endereço IP ou um nome de host que esta máquina conheça, p. ex. 127.0.0.1:8080
cli-arg-addr-nothing = --addr { $addr } não resulta em nenhum endereço. Indique um endereço IP, p. ex. 127.0.0.1:8080
cli-arg-listen-failed = não foi possível escutar em { $addr }: { $error }. Escolha outro --addr
cli-arg-bound-unknown = não foi possível saber o endereço associado a { $addr }. Escolha outro --addr
cli-arg-sim-stopped = o simulador parou: { $error }
cli-arg-tls-no-dir = nenhuma pasta de dados onde gravar os certificados. Indique --tls-dir PASTA
cli-arg-tls-dir-failed = não foi possível criar { $path }: { $error }. Indique outro --tls-dir
cli-arg-tls-write-failed = { $error }. Indique outro --tls-dir
cli-arg-client-ca-unreadable = não foi possível ler o ficheiro --client-ca { $path }: { $error }. Verifique o caminho
cli-arg-client-ca-bad = { $error }. Verifique o ficheiro --client-ca
cli-arg-tls-authority-written = Autoridade gravada em { $path }: os clientes confiam nela com --ca-file { $path }
cli-arg-tls-client-cert = Um certificado de cliente desta autoridade, para testar um gateway que exija um (serve --client-ca { $ca }): --client-cert { $path }
cli-arg-tls-authority-kept = Autoridade de uma execução anterior mantida em { $path } (apague aí ca.pem, cert.pem e key.pem para ter novos): os clientes confiam nela com --ca-file { $path }
cli-arg-tls-kept-uncovered = Atenção: o certificado guardado em { $path } foi feito para { $names }, não para { $missing }: os clientes que usam { $missing } em --api terão um erro de certificado. Apague ca.pem, cert.pem e key.pem em { $dir } para que sejam feitos novos (os clientes passam então a confiar no novo ca.pem)
cli-arg-tls-kept-bad = os ficheiros TLS que já estão em { $dir } não podem ser usados ({ $error }). Ficam como estão: apague aí ca.pem, cert.pem e key.pem para que sejam criados novos, ou indique outro --tls-dir
sim-tls-library = a biblioteca TLS recusou a configuração: { $error }
sim-tls-write = { $path } não pode ser escrito: { $error }
sim-tls-cert-none = cert.pem não contém nenhum certificado PEM (nenhum bloco BEGIN CERTIFICATE)
sim-tls-cert-not-pem = cert.pem não é PEM válido (um bloco está danificado)
sim-tls-key-none = key.pem não contém nenhuma chave privada PEM
sim-tls-key-mismatch = cert.pem e key.pem não condizem (a chave não é a do certificado)
sim-tls-client-ca-none = o ficheiro --client-ca { $path } não contém nenhum certificado PEM (nenhum bloco BEGIN CERTIFICATE): indique o ficheiro PEM da autoridade que emite os certificados cliente
sim-tls-client-ca-not-pem = o ficheiro --client-ca { $path } não é PEM válido (um bloco está danificado)
sim-tls-client-ca-not-authority = o ficheiro --client-ca { $path } contém um certificado que não pode servir de autoridade ({ $detail })
cli-arg-tls-partial = { $dir } tem { $present } mas não todos os ficheiros ca.pem, cert.pem e key.pem: nada é substituído (clientes podem confiar nessa autoridade). Coloque os que faltam, apague esses, ou indique outro --tls-dir
cli-arg-tls-client-ca-required = São exigidos certificados de cliente assinados por { $path }
cli-arg-sim-listening = simulador do stepwise à escuta em { $url } ({ $count ->
        [one] 1 associação
       *[other] { $count } associações
    }; { $required }; Ctrl-C interrompe)
cli-arg-sim-token-either = exige o token (bearer) ou um token de login
cli-arg-sim-token-bearer = exige um token (bearer)
cli-arg-sim-token-signed-in = exige um token de login
cli-arg-sim-token-none = nenhum token exigido
cli-arg-sim-device-sign-in = entrada por dispositivo ativa: os tokens duram { $seconds } s; aprove um código com POST /sim/device/CODE/approve (ou /deny), ou abra { $url }/device
cli-arg-sim-open-network = Atenção: { $url } está acessível a partir de outras máquinas e não pede nenhum token: qualquer pessoa nessa rede pode usar as chamadas de controlo (/sim/…: concluir ou revogar passos, aprovar inícios de sessão). Exija um token com --token-file CAMINHO, ou escute apenas em 127.0.0.1.
cli-arg-sim-reach = Outras máquinas e telemóveis alcançam-no em { $url }: indique esse endereço a --api nelas (o QR do guia do cliente também apontará para lá)

## Command-line errors: configuration, networks, sign-in storage
# O ficheiro de configuração; { $file } é o caminho dele, ou o caminho e a variável que o indica
err-config-named-by = { $path } (indicado por STEPWISE_CONFIG)
err-config-not-utf8 = o ficheiro de configuração { $file } não é texto UTF-8. Salve-o como TOML em UTF-8
err-config-missing = o ficheiro de configuração { $file } não existe. Crie-o, ou corrija ou remova STEPWISE_CONFIG
err-config-folder-named = o ficheiro de configuração { $file } é uma pasta, não um ficheiro. Corrija STEPWISE_CONFIG ou remova a variável
err-config-folder = o ficheiro de configuração { $file } é uma pasta, não um ficheiro. Remova-a ou coloque ali um ficheiro de configuração
err-config-unreadable = não foi possível ler o ficheiro de configuração { $file }: { $kind }. Torne-o legível para o seu utilizador
err-config-unreadable-other = não foi possível ler o ficheiro de configuração { $file }: { $kind }. Corrija o que está errado aí, ou aponte STEPWISE_CONFIG para outro ficheiro de configuração
err-config-invalid-at = o ficheiro de configuração { $file } não é válido na linha { $line }, coluna { $column }: { $why }. Chaves conhecidas: api, token, token_file, docs_base_url, ca_file, client_cert, client_key, lang, issuer, client_id, scopes, audience
err-config-backslash = o ficheiro de configuração { $file }, linha { $line }: uma barra invertida num texto entre "…" inicia um escape (\t é uma tabulação, \n uma quebra de linha), pelo que um caminho do Windows se parte ali. Escreva o caminho entre plicas ('C:\Users\eu\tok'), ou com / ou \\ em vez de cada \
err-config-empty-path = o ficheiro de configuração { $file }, linha { $line }: { $key } está vazio, por isso não nomeia nenhum ficheiro. Indique o caminho do ficheiro, ou remova a linha
err-config-invalid = o ficheiro de configuração { $file } não é válido: { $why }. Chaves conhecidas: api, token, token_file, docs_base_url, ca_file, client_cert, client_key, lang, issuer, client_id, scopes, audience
err-config-syntax-at = o ficheiro de configuração { $file } não é válido na linha { $line }, coluna { $column }: { $why }
err-config-syntax = o ficheiro de configuração { $file } não é válido: { $why }
config-unknown-key = { $key } não é uma chave que o stepwise conheça
config-wants-text = este valor tem de ser texto entre aspas (chave = "valor")
config-quote = um valor de texto vai entre aspas (chave = "valor")
config-unclosed = um texto entre aspas não está fechado. Termine-o com a aspa com que começa (" ou ')
config-no-equals = uma chave e o seu valor são ligados por = (chave = "valor"), não por dois pontos nem por um espaço
config-extra-equals = entre uma chave e o seu valor vai um só = (chave = "valor")
config-duplicate = esta chave aparece pela segunda vez. Mantenha só uma
config-one-per-line = uma só chave = "valor" por linha, sem nada depois do valor além de um comentário #
config-table = este ficheiro não aceita cabeçalho [secção]: cada definição é uma linha própria, chave = "valor"
config-no-key = falta a chave antes do =: cada definição é uma linha chave = "valor", p. ex. api = "https://gateway.example"
# Ficheiro de token e token dado como texto; { $from } diz onde foi indicado
err-from-config-token = o ficheiro de configuração
err-from-stdin = a entrada padrão
err-from-config-token-file = token_file do ficheiro de configuração
err-from-config-ca-file = ca_file do ficheiro de configuração
err-token-file-missing = o ficheiro de token { $path } (de { $from }) não existe. Verifique o caminho, ou salve o token ali
err-token-file-unexpanded = o ficheiro de token { $path } (de { $from }) não existe: num caminho só ~/ ou $HOME/ no início são expandidos, qualquer outra variável fica como está. Indique o caminho completo
err-token-file-folder = o ficheiro de token { $path } (de { $from }) é uma pasta. Indique o ficheiro que contém o token, não a pasta dele
err-token-file-denied = o ficheiro de token { $path } (de { $from }) não pode ser lido: permissão negada. Torne-o legível para o seu utilizador (ex. chmod 600)
err-token-file-unreadable = o ficheiro de token { $path } (de { $from }) não pode ser lido ({ $kind }). Verifique o caminho e o ficheiro
err-token-file-not-utf8 = o ficheiro de token { $path } (de { $from }) não é texto UTF-8. Coloque nele o token do gateway como texto puro
err-token-file-empty = o ficheiro de token { $path } (de { $from }) está vazio. Coloque nele o token do gateway, sozinho numa linha
err-token-file-characters = o ficheiro de token { $path } (de { $from }) contém espaços ou caracteres que um token não pode ter. Coloque o token sozinho numa linha, exatamente como o gateway o forneceu
err-token-file-bearer = o ficheiro de token { $path } (de { $from }) contém a palavra Bearer antes do token: retire a palavra Bearer e deixe o token sozinho na linha; o stepwise acrescenta Bearer por si próprio
err-token-file-wrapped = o ficheiro de token { $path } (de { $from }) contém o token { $shape }: deixe só o próprio token, sozinho na linha, exatamente como o gateway o emitiu
err-serve-token-file-characters = o ficheiro de token { $path } (de serve --token-file) tem espaços, aspas ou caracteres que um token não pode ter. O token do simulador é escolhido por si: ponha um só de letras, dígitos e - . _ ~ + /, sozinho na linha
err-token-file-lines = o ficheiro de token { $path } (de { $from }) tem { $n ->
    [one] { $n } linha
   *[other] { $n } linhas
}. Um ficheiro de token contém só o token, numa linha
err-token-text = o token em { $from } contém espaços, quebras de linha ou caracteres que um token não pode ter. Indique o token exatamente como o gateway o emitiu
err-token-text-bearer = o token em { $from } começa com a palavra Bearer: retire a palavra Bearer e indique só o token; o stepwise acrescenta Bearer por si próprio
err-token-text-wrapped = o token em { $from } foi dado { $shape }: indique o próprio token, exatamente como o gateway o emitiu
err-serve-token-text = o token do simulador (serve --token ou STEPWISE_SERVE_TOKEN) tem espaços, aspas ou caracteres que um token não pode ter. É escolhido por si: use só letras, dígitos e - . _ ~ + /
token-shape-quoted = entre aspas
token-shape-assignment = como nome=valor (uma linha de script ou de ficheiro .env)
token-shape-json = dentro de um JSON (como a resposta de um fornecedor de identidade: o valor do seu access_token é o token)
token-shape-punctuated = com um ';' ou ',' a seguir (copiado de uma linha de comandos ou de uma lista)
token-shape-header = como uma linha de cabeçalho inteira (`Authorization: Bearer …`; o stepwise acrescenta sozinho o cabeçalho e a palavra Bearer)
err-token-text-empty = o token em { $from } está vazio. Indique o token exatamente como o gateway o emitiu, ou remova a definição
# URLs
err-user-info-gateway = o URL do gateway contém um nome de utilizador ou palavra-passe (user:password@host), que o stepwise não mostra nem envia. Retire-os de --api, STEPWISE_API ou api no ficheiro de configuração; o token do gateway vai em --token-file, STEPWISE_TOKEN ou no ficheiro de configuração
err-user-info-docs = o URL base da documentação contém um nome de utilizador ou palavra-passe (user:password@host), que o stepwise não mostra nem envia. Retire-os de { $place }; o token do gateway vai em --token-file, STEPWISE_TOKEN ou no ficheiro de configuração
err-docs-url = o URL base da documentação { $url } não é um URL http(s). Corrija { $place }, ex. https://help.dealer.example
err-docs-url-why = o URL base da documentação { $url } não pode ser usado: { $why }. Corrija { $place }, p. ex. https://help.dealer.example
docs-place-config = docs_base_url no ficheiro de configuração
err-api-scheme = o URL do gateway { $url } não diz http:// nem https://: acrescente http:// ou https:// à frente, p. ex. http://{ $url }
err-api-scheme-typo = o URL do gateway { $url } tem o esquema mal escrito (precisa de ://): escreva { $fixed }
err-api-empty = --api (ou STEPWISE_API) foi indicado mas está vazio: indique o URL do gateway, p. ex. --api http://127.0.0.1:8080, ou omita-o para usar o simulador integrado
err-api-empty-in-file = `api` no ficheiro de configuração ({ $path }) está vazio: indique aí o URL do gateway, p. ex. api = "http://127.0.0.1:8080", ou remova a linha para usar o simulador incorporado
# Certificados, chaves e proxies; { $why } termina a frase que nomeia o ficheiro
err-ca-file = o ficheiro de CA { $path } { $why }. Indique um ficheiro PEM da autoridade com --ca-file
err-ca-file-from = o ficheiro de CA { $path } (de { $from }) { $why }. Corrija { $from } para indicar um ficheiro PEM da autoridade, ou remova essa definição
err-client-cert = o certificado de cliente { $path } { $why }. Indique um certificado PEM com --client-cert (e a chave dele com --client-key)
err-client-cert-bare = o certificado de cliente { $path } { $why }
err-key-not-in-cert = o certificado de cliente { $path } { $why }; coloque a chave no mesmo ficheiro ou indique --client-key. Indique um certificado PEM com --client-cert (e a chave dele com --client-key)
err-client-key = a chave de cliente { $path } { $why }. Indique a chave privada do certificado (PEM) com --client-key
err-key-mismatch = a chave de cliente { $key } não corresponde ao certificado { $cert }. Indique a chave com que este certificado foi criado
err-key-without-cert = --client-key { $key } foi indicado sem --client-cert. Indique os dois
err-key-without-cert-config = `client_key` no ficheiro de configuração indica { $key }, mas nenhum certificado de cliente está definido: acrescente `client_cert` ao ficheiro de configuração (ou indique --client-cert)
err-pem-missing = não pode ser lido (não existe)
err-pem-denied = não pode ser lido (permissão negada)
err-pem-unreadable = não pode ser lido ({ $kind })
err-pem-not-pem = não é um PEM válido ({ $detail })
err-pem-no-certificate = não contém nenhum certificado PEM (nenhum bloco BEGIN CERTIFICATE)
err-pem-no-key = não contém nenhuma chave privada PEM (nenhum bloco BEGIN PRIVATE KEY)
err-pem-encrypted = está cifrada com uma frase-passe, e chaves cifradas não são suportadas. Decifre-a uma vez com `openssl pkey -in CHAVE -out ABERTA.key` e mantenha esse ficheiro privado
err-pem-bad-key = não é uma chave PEM válida ({ $detail })
err-pem-no-authority = não contém nenhuma autoridade certificadora utilizável
err-pem-unusable = não pode ser usado ({ $detail })
err-pem-cert-version1 = não pode ser usado: é um certificado X.509 versão 1 (sem extensões), que a biblioteca TLS do stepwise não consegue apresentar, mesmo onde um gateway o aceitaria; peça a quem os emite um certificado versão 3
err-pem-cert-refused = não pode ser usado: a biblioteca TLS recusa este certificado; peça um novo a quem os emite
err-proxy = o proxy em { $from } não pode ser usado: { $why }. Indique-o como http://HOST:PORT, ou remova { $from } para conectar diretamente
err-proxy-socks = o proxy em { $from } é um proxy SOCKS ({ $scheme }://), e o stepwise só fala com proxies HTTP. Peça o proxy HTTP da rede e indique-o como http://HOST:PORT, ou remova { $from } para conectar diretamente
err-proxy-not-url = não é umo URL ({ $detail })
err-proxy-scheme = o esquema { $scheme } não é suportado (só proxies http://)
err-proxy-no-host = falta o host
err-proxy-userinfo-chars = o utilizador ou a palavra-passe nele contém \, /, ? ou #, que um URL só aceita ali codificados em percentagem: escreva \ como %5C (DOMINIO%5Cutilizador), / como %2F, ? como %3F e # como %23
err-tls-setup = não foi possível configurar o TLS: { $detail }
# Onde os logins ficam guardados: o porta-chaves ou o ficheiro de logins; { $why } e { $kind } são palavras do sistema
err-store-choice = STEPWISE_TOKEN_STORE deve ser keyring, file ou auto, não { $value }
err-store-keyring-unusable = STEPWISE_TOKEN_STORE=keyring, mas o porta-chaves não pode ser usado: { $why }. { $fix }
err-store-nowhere = não há nem porta-chaves nem pasta de dados para guardar o token. Defina HOME, ou indique um token com --token-file
err-store-no-data-dir = não há pasta de dados para guardar o token; defina HOME
err-store-encode = não foi possível codificar o login: { $detail }
err-store-unreadable = o login guardado para { $gateway } não pode ser lido. Execute `stepwise logout` e depois `stepwise login`
err-store-too-slow = o porta-chaves não respondeu em { $secs } s. Desbloqueie-o, ou defina STEPWISE_TOKEN_STORE=file
err-store-keyring-entry = o porta-chaves recusou uma entrada para { $gateway }: { $why }
err-store-keyring-read = não foi possível ler o login do porta-chaves ({ $name }): { $why }. { $fix }
err-store-keyring-write = não foi possível guardar o login no porta-chaves ({ $name }): { $why }. { $fix }
err-store-keyring-too-small = a sessão é demasiado longa para o porta-chaves ({ $name }), que guarda no máximo { $max } bytes por entrada. Defina STEPWISE_TOKEN_STORE=file para a guardar num ficheiro
err-store-keyring-remove = não foi possível remover o login do porta-chaves ({ $name }): { $why }
keyring-no-bus = nenhum barramento de sessão do ambiente de trabalho (D-Bus) está acessível, por isso nenhum porta-chaves pode ser consultado (uma sessão SSH ou de serviço, ou um contentor, não tem um)
keyring-locked = o porta-chaves está bloqueado, ou o pedido de desbloqueio foi fechado
keyring-no-service = nenhum serviço de porta-chaves (Secret Service, como GNOME Keyring ou KWallet) responde
keyring-malformed = o segredo lá guardado está danificado
keyring-other = o porta-chaves respondeu: { $detail }
keyring-fix-no-bus = Execute o stepwise na sessão do ambiente de trabalho, ou defina STEPWISE_TOKEN_STORE=file
keyring-fix-locked = Desbloqueie-o, ou defina STEPWISE_TOKEN_STORE=file
keyring-fix-start = Desbloqueie-o ou inicie-o, ou defina STEPWISE_TOKEN_STORE=file
err-store-file-damaged = o ficheiro de sessões { $path } está danificado: não é o JSON que o stepwise escreve (foi lido, mas não compreendido). Guarda as sessões de todos os gateways, e nenhuma pode ser usada: mova-o para outro lado (ou apague-o)
err-login-file-damaged = { $why }, e depois execute novamente este comando
err-store-file-read = não foi possível ler o ficheiro de logins { $path }: { $kind }. Verifique as permissões dele
err-store-file-in-the-way = não foi possível ler o ficheiro de logins { $path }: { $kind }. Mova o que está no caminho, para que a pasta de dados seja uma pasta
err-store-file-is-folder = não foi possível ler o ficheiro de logins { $path }: é uma pasta, não um ficheiro. Mova ou remova essa pasta (o stepwise grava as suas sessões num ficheiro com esse nome) e inicie sessão de novo
err-store-file-remove = não foi possível apagar o ficheiro de logins { $path }: { $kind }
err-store-file-folder = não foi possível criar a pasta do ficheiro de logins { $path }: { $kind }. Verifique as permissões da pasta de dados
err-store-file-create = não foi possível criar o ficheiro de logins { $path }: { $kind }. Verifique as permissões da pasta de dados
err-store-file-write = não foi possível gravar o ficheiro de logins { $path }: { $kind }. Verifique as permissões da pasta de dados
err-store-file-replace = não foi possível substituir o ficheiro de logins { $path }: { $kind }. Verifique as permissões da pasta de dados
# Login num terminal simples: stepwise login, logout e auth status
err-login-no-gateway = { $command } precisa de um gateway: indique --api URL (ou STEPWISE_API, ou `api` no ficheiro de configuração). O simulador embutido não precisa de login
cli-api-from-env = O endereço do gateway veio de STEPWISE_API, não de --api: corrija-o aí, ou indique --api (que tem prioridade)
cli-api-from-config = O endereço do gateway veio de `api` no ficheiro de configuração { $path }, não de --api: corrija-o aí, ou indique --api (que tem prioridade)
err-login-cancelled = login cancelado; nada foi guardado
err-login-keep-failed = não foi possível guardar o token: { $detail }
err-login-read-failed = não foi possível ler o token: { $detail }
err-login-terminal = não foi possível ler o token do terminal: { $kind }. Passe-o pela entrada padrão: `stepwise login --with-token < token.txt`
err-login-stdin = não foi possível ler o token da entrada padrão: { $kind }. Passe-o como texto, numa linha
err-login-token-lines = a entrada padrão tem várias linhas, e um token é uma só: dê o token sozinho, numa linha (um token partido por um e-mail ou terminal tem de ser juntado de novo); nada foi guardado
err-login-token-refused = o gateway em { $gateway } recusou este token (HTTP 401), por isso não foi guardado. Peça o token atual a quem gere o gateway
err-login-token-dropped = o token não foi guardado: o gateway em { $gateway } responde como se nenhum token o tivesse alcançado (o seu desafio não nomeia nenhum erro), e a chamada passou pelo proxy { $proxy }, que pode estar a retirar o cabeçalho Authorization, por isso não se sabe se o gateway aceita o token. Defina NO_PROXY={ $host } se o gateway for acessível sem o proxy, ou peça a quem opera o proxy para deixar passar o cabeçalho Authorization
err-login-token-untried-not-kept = o token não foi guardado, porque não pôde ser testado: { $why }. Guarde-o quando o proxy deixar passar o pedido (ou o NO_PROXY o evitar)
err-login-token-refused-signin = o gateway em { $gateway } recusou este token (HTTP 401), por isso não foi guardado. Este gateway oferece início de sessão, cujos tokens se renovam sozinhos: execute `stepwise login` (sem --with-token)
err-login-refused-through-proxy = A chamada passou pelo proxy { $proxy } (de { $from }), que pode remover o cabeçalho Authorization pelo caminho, de modo que o gateway não viu nenhum token: antes de mais, defina NO_PROXY={ $host } e tente de novo, se o gateway for alcançável sem o proxy
err-login-token-scope = o gateway em { $gateway } aceitou este token, mas diz que lhe falta o âmbito { $scope } (o seu WWW-Authenticate: insufficient_scope), por isso os passos seriam recusados com ele: não foi guardado. Peça a quem fornece os tokens um com esse âmbito
err-login-token-scope-unnamed = o gateway em { $gateway } aceitou este token, mas diz que lhe falta um âmbito que não nomeia (o seu WWW-Authenticate: insufficient_scope), por isso os passos seriam recusados com ele: não foi guardado. Pergunte a quem opera o gateway qual, e peça a quem fornece os tokens um que o tenha
err-login-kept-unchanged = { $words }. A sessão guardada antes para este gateway não muda
err-login-no-token = a entrada padrão não contém um token utilizável: passe uma linha de caracteres visíveis (sem espaços), no máximo 8 KiB
err-logout-failed = não foi possível remover o token: { $detail }
err-logout-unreached = a revogação no fornecedor de identidade falhou ({ $why }), por isso a sessão fica guardada aqui: o token de renovação continua válido no fornecedor, e `stepwise logout` poderá revogá-lo quando o fornecedor puder ser contactado. Para a esquecer aqui sem a revogar, execute `stepwise logout --forget`
err-logout-wait = a revogação no fornecedor de identidade falhou por agora ({ $why }), e o fornecedor pede para esperar { $wait }, por isso a sessão fica guardada aqui: execute `stepwise logout` de novo depois dessa espera para a revogar. Para a esquecer aqui sem a revogar, execute `stepwise logout --forget`
err-logout-proxy = a revogação no fornecedor de identidade falhou: { $words }. A sessão fica guardada aqui até que `stepwise logout` a possa revogar; para a esquecer aqui sem a revogar, execute `stepwise logout --forget`
err-logout-unreached-access = a revogação no fornecedor de identidade falhou ({ $why }), por isso a sessão fica guardada aqui: o token continua válido no fornecedor até expirar, e `stepwise logout` poderá revogá-lo quando o fornecedor puder ser contactado. Para a esquecer aqui sem a revogar, execute `stepwise logout --forget`
# O login por dispositivo do gateway: descoberta e respostas do fornecedor de identidade; { $said } é o erro do próprio fornecedor
err-signin-endpoint-device = endereço
err-signin-endpoint-token = endereço de token
err-signin-endpoint-verification = endereço de verificação
err-signin-address-not-url = não é umo URL
err-signin-address-plain-http = http simples atrás de um gateway https
err-signin-address-not-http = não é um URL http(s)
err-signin-address-no-host = sem host
err-signin-address = o { $what } de login do gateway { $url } não pode ser usado: { $why }. Avise o operador do gateway, ou inicie sessão com `stepwise login --with-token`
err-signin-address-provider = o { $what } de início de sessão do fornecedor de identidade { $url } não pode ser usado: { $why }. O código não pode ser aprovado ali: avise quem gere o fornecedor de identidade
err-signin-discovery-status = o gateway em { $gateway } respondeu HTTP { $status } à descoberta de login ({ $path }). Tente de novo mais tarde, ou inicie sessão com `stepwise login --with-token`
err-signin-discovery-blocked = a descoberta do início de sessão em { $gateway } recebeu uma página web com HTTP { $status }{ $said }, não a resposta do gateway: algo à frente do gateway (uma firewall, uma firewall aplicacional ou um proxy inverso) recusou-a, por isso não se sabe se o gateway oferece início de sessão. Pergunte a quem gere a rede se esta bloqueia este endereço
err-signin-discovery-silent = o gateway em { $gateway } aceitou a ligação, mas a descoberta de login ({ $path }) não respondeu a tempo. Tente novamente mais tarde; se continuar, avise quem gere o gateway
err-signin-discovery-named = o gateway em { $gateway } indica os seus metadados de início de sessão em { $url } (no desafio do seu HTTP 401), e esse endereço não pôde ser usado ({ $met }): a resposta do próprio gateway estava certa, o seu endereço de início de sessão não. Avise quem opera o gateway; se souber qual é o fornecedor de identidade deste gateway, indique-o com --issuer (ou STEPWISE_ISSUER, `issuer` no ficheiro de configuração)
named-met-page = uma página web, não metadados JSON
named-met-not-http = não é um endereço http(s)
named-met-no-server = os metadados não nomeiam nenhum servidor de autorização
err-signin-discovery-not-json = o documento de descoberta de login do gateway ({ $path }) não é JSON válido. Avise o operador do gateway, ou inicie sessão com `stepwise login --with-token`
err-signin-issuer-not-json = os metadados do fornecedor de identidade ({ $url }) não são JSON válido: verifique --issuer (ou STEPWISE_ISSUER) se foi indicado, caso contrário avise quem gere o gateway; ou inicie sessão com `stepwise login --with-token`
err-signin-issuer-page = os metadados do fornecedor de identidade ({ $url }) são uma página web{ $said }, não o JSON dele: o endereço é um site ou um portal, não o fornecedor de identidade. Verifique --issuer (ou STEPWISE_ISSUER) se foi indicado, caso contrário avise quem gere o gateway; se um portal responde no lugar do fornecedor, pergunte a quem gere a rede
err-signin-discovery-missing = o documento de descoberta de login do gateway não tem { $field }: ele não oferece login por dispositivo. Inicie sessão com `stepwise login --with-token`
err-login-no-device = --device pede início de sessão por dispositivo, e o fornecedor de identidade de { $gateway } não o oferece (os seus metadados não têm device_authorization_endpoint). Inicie sessão sem --device numa máquina onde um navegador possa abrir, ou guarde um token dado por quem gere o gateway (`stepwise login --with-token`)
err-signin-not-offered-status = o gateway em { $gateway } não oferece login (sem /.well-known/oauth-authorization-server, HTTP { $status }). Se --api estiver certo, aceita um token fixo de quem o gere: guarde esse token com `stepwise login --with-token`
err-signin-not-offered = o gateway em { $gateway } não oferece login (sem /.well-known/oauth-authorization-server). Se --api estiver certo, aceita um token fixo de quem o gere: guarde esse token com `stepwise login --with-token`
err-login-not-needed = o gateway em { $gateway } não oferece início de sessão, e respondeu sem token: não precisa de nenhum aqui, pelo que não há onde iniciar sessão nem nada a guardar. Execute `stepwise steps --car ID` tal como está
err-login-refused-at-once = sessão iniciada, mas o gateway em { $gateway } recusou o token que o fornecedor de identidade acabou de emitir (HTTP 401, testado uma vez): não aceita nenhum dos tokens deste fornecedor como são pedidos. Pergunte a quem gere o gateway qual audience e quais scopes quer, e indique a audience com --audience ou `audience` no ficheiro de configuração; a sessão fica guardada até lá (`stepwise logout` esquece-a)
err-login-scope-at-once = sessão iniciada, mas o gateway em { $gateway } diz que falta o âmbito { $scope } ao token que o fornecedor de identidade acabou de emitir (o seu WWW-Authenticate: insufficient_scope, tentado uma vez), por isso os passos seriam recusados com ele. { $why } A sessão fica guardada até lá (`stepwise logout` esquece-a)
login-scope-not-granted = O fornecedor concedeu só { $granted }: peça ao seu administrador que conceda { $scope } ao cliente stepwise.
login-scope-asked = A sessão pediu { $scope }, por isso iniciar sessão de novo pede o mesmo: pergunte ao administrador do fornecedor se concede { $scope } ao stepwise, ou ao operador do gateway que âmbito ou audiência quer.
login-scope-not-asked = Inicie sessão de novo pedindo-o: `stepwise login --scope "{ $ask }"` (ou `scopes` no ficheiro de configuração).
err-signin-too-large = a resposta de { $url } é maior que { $kib } KiB. Verifique se --api aponta para um gateway de passos
err-signin-compressed-proxy = a chamada de início de sessão a { $url } voltou comprimida ({ $encoding }) através do proxy { $proxy }, embora o stepwise peça as respostas tal como são: o proxy, ou o servidor atrás dele, comprime-as. Pergunte a quem gere o proxy, ou avise o operador do gateway; defina NO_PROXY={ $host } se for alcançável sem o proxy, o que também mostra quem o faz
err-signin-compressed = a chamada de início de sessão a { $url } voltou comprimida ({ $encoding }), embora o stepwise peça as respostas tal como são: algo à frente do fornecedor de identidade comprime-as. Avise o operador do gateway
err-signin-redirected = o pedido de início de sessão para { $url } recebeu um redirecionamento para { $to }; o stepwise não envia códigos nem tokens de sessão a outro endereço. Peça ao administrador do gateway o endereço do próprio fornecedor de início de sessão
err-signin-code-refused = o fornecedor de identidade recusou-se a dar um código ({ $said }). Tente novamente mais tarde, ou inicie sessão com `stepwise login --with-token`
err-signin-code-busy = o fornecedor de identidade não pode dar um código de momento ({ $said }). Aguarde um minuto e execute `stepwise login` novamente, ou inicie sessão com `stepwise login --with-token`
err-signin-code-busy-wait = o fornecedor de identidade não pode dar um código de momento ({ $said }) e pede para esperar { $wait }. Execute `stepwise login` novamente depois dessa espera
err-signin-metadata-busy = o fornecedor de identidade em { $issuer } não pode dar os seus metadados de início de sessão de momento (HTTP { $status }): está ocupado ou a limitar pedidos, e o emissor está certo. Tente novamente dentro de um minuto
err-signin-metadata-busy-wait = o fornecedor de identidade em { $issuer } não pode dar os seus metadados de início de sessão de momento (HTTP { $status }) e pede para esperar { $wait }: está ocupado ou a limitar pedidos, e o emissor está certo. Tente novamente depois dessa espera
err-signin-not-device-code = a resposta do fornecedor de identidade em { $url } não é um código de dispositivo (RFC 8628). Verifique o endereço do emissor (--issuer, STEPWISE_ISSUER ou `issuer` no ficheiro de configuração) se houver um; caso contrário, avise quem opera o gateway
err-signin-device-code-lacks = a resposta do fornecedor de identidade em { $url } é um código de dispositivo sem o seu { $member } (RFC 8628 §3.2), por isso o início de sessão não pode continuar. Avise quem gere o fornecedor
err-signin-bad-device-code = o fornecedor de identidade deu um código de dispositivo inutilizável. Verifique o endereço do emissor (--issuer, STEPWISE_ISSUER ou `issuer` no ficheiro de configuração) se houver um; caso contrário, avise quem opera o gateway
err-signin-unsafe-user-code = o fornecedor de identidade deu um código que não pode ser mostrado com segurança ({ $code }). Verifique o endereço do emissor (--issuer, STEPWISE_ISSUER ou `issuer` no ficheiro de configuração) se houver um; caso contrário, avise quem opera o gateway
err-signin-not-token-answer = a resposta de token do fornecedor de identidade não pode ser usada: não é uma resposta de token (RFC 6749). Verifique o endereço do emissor (--issuer, STEPWISE_ISSUER ou `issuer` no ficheiro de configuração) se houver um; caso contrário, avise quem opera o gateway
err-signin-not-bearer = a resposta de token do fornecedor de identidade não pode ser usada: o token não é do tipo Bearer. Verifique o endereço do emissor (--issuer, STEPWISE_ISSUER ou `issuer` no ficheiro de configuração) se houver um; caso contrário, avise quem opera o gateway
err-signin-token-characters = a resposta de token do fornecedor de identidade não pode ser usada: o token tem caracteres que um cabeçalho não pode levar. Verifique o endereço do emissor (--issuer, STEPWISE_ISSUER ou `issuer` no ficheiro de configuração) se houver um; caso contrário, avise quem opera o gateway
err-signin-token-empty = a resposta de token do fornecedor de identidade não é utilizável: o access_token está vazio. Avise quem gere o fornecedor; se um emissor foi indicado (--issuer, STEPWISE_ISSUER ou `issuer` no ficheiro de configuração), verifique se é o certo
err-signin-stopped = o fornecedor de identidade interrompeu o login ({ $said }). Execute `stepwise login` de novo
err-signin-grant-unsupported = o fornecedor de identidade não oferece o início de sessão com um código noutro dispositivo ({ $said }): iniciar sessão assim de novo recebe o mesmo. Inicie sessão num navegador onde ele o oferecer (`stepwise login` sem --device, numa máquina com ambiente de trabalho), ou guarde um token com `stepwise login --with-token`; avise quem gere o fornecedor se o fluxo de dispositivo devesse funcionar
err-signin-code-too-short = o código do fornecedor de identidade dura { $lives }, mas o fornecedor pede para ser consultado só a cada { $every }: o código expira antes de poder ser consultado uma única vez, por isso nenhuma aprovação consegue passar (nada foi consultado). Avise quem gere o fornecedor: a validade ou o intervalo de consulta dos códigos de dispositivo está mal configurado
err-signin-code-expired-early = o fornecedor de identidade disse que o código expirou após { $after }, embora lhe tivesse dado { $lives }: nenhuma aprovação poderia ter vindo antes. O relógio dele ou a duração dos códigos está errado (ou o código já foi usado): avise quem gere o fornecedor
err-signin-code-lifetime-none = o código de dispositivo do fornecedor de identidade dura { $said } s segundo a resposta dele (expires_in): expira antes que alguém o possa aprovar, pelo que nada foi consultado. Avise quem gere o fornecedor: a duração dos códigos de dispositivo dele está mal configurada
err-signin-poll-failing = enquanto o código aguardava aprovação, o fornecedor de identidade falhou { $times } vezes seguidas ({ $said }), pelo que o início de sessão foi abandonado. Aguarde { $wait } e inicie sessão novamente para obter um novo código; se persistir, avise quem gere o fornecedor
err-signin-poll-failing-page = enquanto o código aguardava aprovação, o endereço de tokens do fornecedor de identidade foi respondido { $times } vezes seguidas com uma página web ({ $said }): algo à frente do fornecedor (um balanceador de carga ou um proxy inverso) está a falhar, pelo que o início de sessão foi abandonado. Aguarde { $wait } e inicie sessão novamente para obter um novo código; se persistir, avise quem gere o fornecedor
err-signin-limited = o fornecedor de identidade está a limitar pedidos (HTTP 429) e pede para esperar { $wait }, mais do que o código dura. Execute `stepwise login` novamente depois dessa espera
err-signin-refresh-failed = o fornecedor de identidade não conseguiu renovar o token ({ $said }). Tente de novo num minuto
err-signin-refresh-failed-wait = o fornecedor de identidade não conseguiu renovar o token por agora ({ $said }) e pede para esperar { $secs } s. Tente novamente depois disso
err-signin-renewal-lost = a renovação do token enviada para { $url } não teve resposta (a ligação fechou ou ficou muda depois do pedido): o fornecedor de identidade pode ter renovado a sessão, gastando o token de renovação guardado aqui. Tente novamente uma vez; se então disser que a sessão foi gasta, inicie sessão de novo com `stepwise login`
err-signin-renewal-lost-proxy = a renovação do token não teve resposta: { $why }. Se a renovação chegou ao fornecedor de identidade, ele pode ter gasto o refresh token guardado aqui: quando o proxy deixar passar os pedidos, tente novamente; se então disser que o início de sessão se esgotou, inicie sessão de novo com `stepwise login`
err-signin-keeping-failed = não foi possível guardar o token: { $detail }. Volte a iniciar sessão
err-signin-opening-failed = não foi possível abrir o armazenamento de tokens: { $detail }. Volte a iniciar sessão
err-over-revoked = o login em { $gateway } expirou ou foi revogado ({ $said })
err-over-spent = a sessão em { $gateway } foi gasta por uma renovação anterior cuja resposta se perdeu pelo caminho ({ $said }): muito provavelmente o fornecedor de identidade renovou-a então, e o token de renovação guardado aqui está gasto
err-over-marked = o fornecedor de identidade terminou a sessão em { $gateway } ({ $said })
err-over-client-refused = o fornecedor de identidade recusa o client id { $client } da sessão em { $gateway } ({ $said }): não o conhece, ou já não o deixa renovar sessões. Defina o id registado lá para o stepwise com --client-id ID ou `client_id` no ficheiro de configuração, ou pergunte ao administrador do fornecedor se este cliente ainda é permitido
err-over-no-renewal = o fornecedor de identidade não deixa o client id { $client } renovar a sessão em { $gateway } ({ $said }): cada sessão dura o mesmo que o seu token, e pedir novamente não muda isso. Para iniciar sessão menos vezes, peça ao administrador do fornecedor que permita refresh tokens para este cliente
err-over-renewal-refused = o fornecedor de identidade recusou renovar a sessão em { $gateway } ({ $said }), e recusaria novamente o mesmo pedido
err-over-refused-fresh = o gateway recusa até um token que o fornecedor de identidade acabou de renovar: não aceita nenhum token deste fornecedor tal como é pedido, e iniciar sessão da mesma forma dá o mesmo. Pergunte a quem opera o gateway que audience e que scopes espera, e indique a audience com --audience ou `audience` no ficheiro de configuração
err-over-refused-new = o gateway recusa um token que o fornecedor de identidade emitiu há poucos minutos e que não pode ser renovado: não aceita nenhum token deste fornecedor tal como é pedido, e iniciar sessão da mesma forma dá o mesmo. Pergunte a quem opera o gateway que audience e que scopes espera, e indique a audience com --audience ou `audience` no ficheiro de configuração
err-over-refused-unseen = o gateway responde como se nenhum token lhe tivesse chegado (o seu desafio não nomeia nenhum erro), mesmo com um que o fornecedor de identidade acabou de dar: algo entre esta máquina e o gateway (um proxy, um balanceador de carga) pode estar a descartar o cabeçalho Authorization, ou o gateway não aceita nenhum token deste fornecedor. Pergunte a quem opera a rede e o gateway; se a causa for o token, indique a audience que o gateway espera com --audience ou `audience` no ficheiro de configuração
err-over-no-token-address = o login guardado não tem um endereço de token utilizável

## stepwise doctor
# The words beside ✓ ! ✗ -, so no line depends on colour alone.
doctor-mark-ok = ok
doctor-mark-warning = aviso
doctor-mark-failed = falha
doctor-mark-skipped = omitido
# The name of each check, in the order they are shown.
doctor-check-config = Configuração
doctor-check-device-id = Id do dispositivo
doctor-check-gateway = Endereço do gateway
doctor-check-dns = Resolução de nome
doctor-check-proxy = Proxy
doctor-check-tcp = Ligação TCP
doctor-check-tls = TLS
doctor-check-client-cert = Certificado cliente
doctor-check-token = Token
doctor-check-clock = Relógio
doctor-check-first-list = Primeira lista
doctor-check-refresh = Releitura stepsID
doctor-check-next-step = Próximo passo
doctor-check-status-filter = Filtro de estado
doctor-check-error-body = Corpo de erro
doctor-check-events = Eventos ao vivo
doctor-check-guidance = Páginas do cliente
doctor-summary = { $failed ->
        [one] { $failed } falha
       *[other] { $failed } falhas
    }, { $warnings ->
        [one] { $warnings } aviso
       *[other] { $warnings } avisos
    }, { $ok } ok, { $skipped ->
        [one] { $skipped } omitido
       *[other] { $skipped } omitidos
    }
doctor-target-unusable = (configurações inutilizáveis)
doctor-target-embedded = o simulador integrado
doctor-skip = não executado
doctor-skip-settings = não executado: as configurações são inutilizáveis
doctor-skip-no-gateway = não executado: nenhum gateway
doctor-skip-bad-address = não executado: nenhum endereço de gateway utilizável
doctor-skip-unreachable = não executado: o gateway não pode ser alcançado
doctor-skip-proxy = não executado: nenhuma passagem pelo proxy
doctor-skip-insecure = não executado: nenhuma ligação segura com o gateway
doctor-skip-ca-file = não executado: o ficheiro de CA não pode ser usado
doctor-skip-run-limit = não executado: o limite de { $limit } s da execução completa do doctor foi atingido (a sua resposta mais lenta até agora demorou { $secs } s)
doctor-config-no-dir = nenhuma pasta de configuração neste sistema: valem os padrões
doctor-config-none = nenhum ficheiro em { $path }: valem os padrões
doctor-device-kept = guardado em { $path }
doctor-device-no-folder = não guardado: não se conhece nenhuma pasta de dados nesta máquina, por isso cada execução é um dispositivo novo para o gateway
doctor-config-read = { $path } lido
doctor-config-fix = Corrija o ficheiro, ou aponte STEPWISE_CONFIG para outro
doctor-gateway-no-sim = nenhum gateway configurado, e o simulador embutido não inicia: { $error }
doctor-gateway-unusable = { $address } não pode ser usado: { $why }
doctor-gateway-fix = Indique --api como https://gateway.example ou http://127.0.0.1:8080
doctor-gateway-fix-env = Corrija STEPWISE_API, de onde veio este endereço (ou indique --api, que tem prioridade), como https://gateway.example ou http://127.0.0.1:8080
doctor-gateway-fix-config = Corrija `api` no ficheiro de configuração, de onde veio este endereço (ou indique --api, que tem prioridade), como https://gateway.example ou http://127.0.0.1:8080
doctor-gateway-embedded = nenhum configurado: o simulador embutido em { $url }
doctor-gateway-from-env = { $url } (de STEPWISE_API)
doctor-gateway-from-config = { $url } (de `api` no ficheiro de configuração)
doctor-url-scheme = só http e https são aceitos
doctor-url-no-host = falta o host
doctor-proxy-none = nenhum: ligação direta
doctor-proxy-no-proxy = NO_PROXY dispensa o proxy para { $host }: ligação direta
doctor-proxy-other-scheme = nenhum para gateways { $scheme }://: { $var } está definido, mas só serve gateways do outro esquema; ligação direta. Se este gateway tem de passar por esse proxy, defina { $wanted } (ou ALL_PROXY)
doctor-proxy-used = { $proxy } (de { $from })
doctor-proxy-407 = { $proxy } respondeu à chamada ao gateway com 407 Proxy Authentication Required: quer nome de utilizador e palavra-passe
doctor-proxy-407-refused = { $proxy } respondeu à chamada ao gateway com 407 Proxy Authentication Required: recusou o nome de utilizador e a palavra-passe da variável do proxy
doctor-proxy-401 = { $proxy } respondeu à chamada ao gateway com HTTP 401 e um início de sessão (Basic): o do próprio proxy, ou o de um servidor web atrás dele
doctor-proxy-401-refused = { $proxy } respondeu à chamada ao gateway com HTTP 401 e um início de sessão (Basic) embora a variável do proxy traga um utilizador e uma palavra-passe
doctor-proxy-answered = { $proxy } respondeu ele próprio à chamada ao gateway com HTTP { $status }: o pedido nunca chegou ao gateway
doctor-proxy-401-page = a chamada ao gateway através de { $proxy } recebeu uma página web HTTP 401 sem desafio: a do próprio proxy, ou uma que ele reencaminhou da frente do gateway (um portal, um proxy inverso), que pede um início de sessão próprio
doctor-proxy-bare-401 = a chamada ao gateway através de { $proxy } recebeu um HTTP 401 vazio, sem corpo e sem desafio: julgado abaixo como o do gateway (um token), embora o próprio proxy o possa ter dado
doctor-proxy-gateway-down = { $proxy } recebeu a chamada ao gateway e respondeu HTTP { $status }: não conseguiu alcançar o gateway, que não está a correr (veja Corpo de erro)
doctor-proxy-tunnel = { $proxy } (de { $from }) { $why }
doctor-tunnel-timeout = não respondeu ao CONNECT em { $secs } s
doctor-tunnel-broken = interrompeu o pedido CONNECT: { $error }
doctor-tunnel-refused = recusou o túnel: { $status }
doctor-tunnel-limited = respondeu ele próprio { $status } ao CONNECT: o proxy está a limitar os pedidos (nenhuma regra contra este destino)
doctor-tunnel-none = respondeu { $status } ao CONNECT: não abre túnel nenhum, portanto é um servidor web, ou um proxy que não consegue transportar https://. O gateway não foi consultado
doctor-tunnel-not-http = respondeu ao CONNECT sem HTTP ({ $said }): a variável do proxy indica algo que não é um proxy HTTP
doctor-tunnel-closed = fechou a ligação sem responder ao CONNECT: não se sabe se deixaria o túnel passar. Tente de novo; se persistir, pergunte a quem gere o proxy se deixa passar CONNECT para este anfitrião
doctor-tunnel-unreached = não conseguiu alcançar o gateway pelo túnel: { $status }
doctor-tunnel-password-wanted = quer nome de utilizador e palavra-passe para o túnel ({ $status }): coloque-os na variável do proxy como http://utilizador:palavra-passe@proxy:porta
doctor-tunnel-password-refused = recusou o nome de utilizador e a palavra-passe da variável do proxy ({ $status }): verifique-os
doctor-tunnel-portal = respondeu ao túnel com { $status } e nenhum desafio: um início de sessão próprio (o de um portal), ao qual nenhum utilizador e palavra-passe na variável do proxy responde. Inicie sessão nele num navegador nesta máquina, ou pergunte a quem gere o proxy
doctor-tunnel-windows = pede início de sessão do Windows para o túnel ({ $status }, Negotiate ou NTLM), que o stepwise não consegue dar: nenhum utilizador e palavra-passe na variável do proxy lhe responde. Peça a quem gere o proxy que deixe passar este anfitrião sem ele, ou defina NO_PROXY para ele se for alcançável diretamente
doctor-fix-proxy = Verifique a variável do proxy, ou coloque este host em NO_PROXY
doctor-fix-tunnel-refused = A variável do proxy está certa: o proxy respondeu e recusa este destino. Peça a quem gere o proxy que deixe passar CONNECT para { $host }, ou defina NO_PROXY={ $host } se o gateway for alcançável diretamente
doctor-fix-tunnel-none = Verifique { $from }: deve indicar um proxy HTTP que faça túnel de https (anfitrião e porta; muitas vezes porta 3128 ou 8080)
doctor-fix-tunnel-retry = Tente de novo; se persistir, pergunte a quem gere o proxy, ou defina NO_PROXY={ $host } se o gateway for alcançável diretamente
doctor-fix-tunnel-unreached = O proxy não conseguiu alcançar { $host }: verifique se o gateway está a funcionar e se o anfitrião em --api está certo; se estiver, pergunte a quem gere o proxy
doctor-dns-address = { $ip } é um endereço: nada a resolver
doctor-dns-address-proxy = o proxy { $ip } é um endereço: nada a resolver (o proxy resolve o nome do gateway)
doctor-dns-resolved-proxy = o proxy { $host } → { $addrs } (o proxy resolve o nome do gateway)
doctor-dns-failed = não foi possível resolver { $host }: { $error }
doctor-dns-failed-proxy = não foi possível resolver o proxy { $host }: { $error }
doctor-dns-fix = Verifique o nome do host em --api (ou na variável do proxy) e as configurações de DNS desta máquina
doctor-dns-fix-proxy = Verifique o nome do proxy na variável do proxy e as definições de DNS desta máquina, ou defina NO_PROXY para o anfitrião do gateway se este for alcançável sem o proxy
doctor-proxy-unresolved = { $proxy } (de { $from }): o nome dele é desconhecido para o DNS desta máquina
doctor-dns-timeout = sem resposta para { $host } em { $secs } s
doctor-dns-timeout-proxy = sem resposta para o proxy { $host } em { $secs } s
doctor-dns-timeout-fix = Verifique as configurações de DNS desta máquina
doctor-tcp-no-address = nenhum endereço
doctor-tcp-timeout = { $addr }: sem resposta em { $secs } s
doctor-tcp-failed = não foi possível conectar ao gateway: { $error }
doctor-tcp-failed-proxy = não foi possível conectar ao proxy: { $error }
doctor-tcp-fix = Verifique se o gateway está em execução, a porta em --api e algum firewall
doctor-tcp-connected = ligado a { $addr } em { $ms } ms
doctor-tcp-connected-proxy = conectado ao proxy em { $addr } em { $ms } ms
doctor-tls-plain = não usado: o endereço é http:// simples
doctor-tls-skipped-cert = não tentado: o certificado cliente não pode ser usado
doctor-tls-bad-name = { $host } não é um nome TLS utilizável
doctor-tls-certificate = certificado
doctor-tls-issued = certificado para { $subject }, emitido por { $issuer }
doctor-tls-timeout = nenhum handshake TLS em { $secs } s
doctor-tls-timeout-fix = Verifique se a porta em --api fala TLS; se falar, avise quem opera o gateway
doctor-tls-trusted = { $version }; { $issued }; de confiança
doctor-tls-trusted-left = { $version }; { $issued }, { $days ->
        [one] falta { $days } dia
       *[other] faltam { $days } dias
    }; de confiança
doctor-tls-ends-soon = Avise quem opera o gateway que o certificado dele vence em breve
doctor-tls-asks-cert = { $issued }; de confiança; o gateway pede um certificado cliente
doctor-tls-unknown-issuer = { $issued }: o emissor não é de confiança aqui (emissor desconhecido)
doctor-tls-unknown-issuer-proxy = { $issued }: o emissor não é de confiança aqui (emissor desconhecido) (através do proxy { $proxy }, que pode inspecionar o TLS)
doctor-tls-add-ca-file = Acrescente --ca-file { $path }
doctor-tls-add-ca-of = Acrescente --ca-file FICHEIRO, em que FICHEIRO é o certificado (PEM) de { $issuer }; peça-o ao administrador da rede
doctor-tls-add-ca = Acrescente --ca-file FICHEIRO com o certificado (PEM) da autoridade emissora
doctor-tls-use-ca-file = Use --ca-file { $path }: o ficheiro de autoridade em uso ({ $given }) não assinou este certificado
doctor-tls-ca-file-not-issuer = O ficheiro de autoridade em uso ({ $given }) não assinou este certificado: talvez contenha um certificado de servidor em vez da autoridade, ou uma autoridade refeita desde então. Peça a quem opera o gateway o certificado atual da autoridade (PEM)
doctor-tls-intermediate-missing = O ficheiro de autoridade em uso ({ $given }) não contém { $issuer }, que assinou este certificado, e o gateway não enviou nenhuma autoridade intermédia com ele. Ou o gateway não envia a intermédia: peça ao operador que sirva a cadeia completa (certificado, depois intermédias); entretanto, adicionar o certificado de { $issuer } ao ficheiro funciona. Ou o ficheiro contém outra autoridade: peça o certificado da autoridade do gateway (PEM) ao operador
doctor-tls-expired = { $issued }: vencido
doctor-tls-expired-ago = { $issued }: vencido há { $days ->
        [one] { $days } dia
       *[other] { $days } dias
    }
doctor-fix-date-operator = Verifique a data desta máquina; se estiver certa, avise quem opera o gateway
doctor-tls-not-yet = { $issued }: ainda não é válido
doctor-fix-date = Verifique a data e a hora desta máquina
doctor-tls-wrong-host = { $issued }: não foi feito para o anfitrião em --api
doctor-tls-wrong-host-fix = Use em --api o nome de anfitrião ou o endereço para o qual o certificado foi feito
doctor-tls-wrong-host-names = { $issued }: feito para { $names }, não para o anfitrião em --api
doctor-tls-wrong-host-names-fix = Use em --api um nome para o qual o certificado foi feito ({ $names }), ou peça um certificado do gateway para o nome que utiliza
doctor-tls-no-host-names = { $issued }: não nomeia nenhum anfitrião (sem nome alternativo do titular; só o nome comum não é lido)
doctor-tls-no-host-names-fix = Peça a reemissão do certificado do gateway com o nome do anfitrião como nome alternativo do titular; nenhum --api resolve isto
doctor-tls-old-version = { $issued }: um certificado X.509 versão 1, que o TLS já não aceita
doctor-tls-old-version-fix = Peça o certificado do gateway reemitido na versão 3, com o nome de anfitrião como nome alternativo do sujeito; nenhum --api, --ca-file ou certificado de cliente resolve
doctor-tls-closed = o servidor aceitou a ligação e fechou-a durante o handshake TLS: talvez não fale TLS nesta porta, ou recuse este cliente. Verifique a porta em --api
doctor-tls-authority-as-server = { $issued }: certificado de uma autoridade (CA:TRUE) usado como o do servidor
doctor-tls-authority-as-server-fix = Peça a quem opera o gateway para usar um certificado de servidor assinado por essa autoridade; guarde o certificado da autoridade para --ca-file
doctor-tls-not-tls = o que respondeu não fala TLS
doctor-tls-not-tls-fix = Verifique a porta, ou use http:// se o gateway não tiver TLS
doctor-tls-refused = o gateway recusou o handshake ({ $alert })
doctor-tls-refused-fix = Verifique --api; se estiver certo, avise quem opera o gateway
doctor-tls-wants-cert = o gateway pede um certificado cliente
doctor-fix-client-cert = Indique um com --client-cert FICHEIRO --client-key FICHEIRO
doctor-fix-client-cert-front = A entrada TLS do gateway quer um certificado de cliente: indique um com --client-cert FICHEIRO --client-key FICHEIRO
doctor-fix-gateway-failed = O gateway falhou: tente de novo num minuto; se persistir, avise quem opera o gateway
doctor-fix-call-not-offered = A lista funciona com este --api: o gateway não oferece esta chamada, ou algo à frente dele não a encaminha. Avise o operador do gateway
doctor-fix-proxy-5xx = O proxy respondeu com a sua própria página de erro: não conseguiu alcançar o gateway. Verifique o anfitrião e a porta em --api e se o gateway está a correr; se estiverem certos, pergunte a quem gere o proxy
doctor-fix-proxy-loopback = O gateway está nesta máquina ({ $host }), e { $from } envia os pedidos dele a esse proxy: este (ou um proxy para o qual reencaminha) não alcança os endereços próprios desta máquina. Defina NO_PROXY={ $host }
doctor-fix-loopback-down = Nada escuta em { $host }:{ $port } nesta máquina (tentado diretamente): o gateway não está a correr ali, pelo que o proxy também não o conseguiu alcançar. Verifique se está a correr e se a porta em --api está certa
doctor-guidance-not-a-page = respondeu 200 com { $kind } e sem idioma: não é uma página de orientação (a página genérica de um portal?), por isso o código QR leva a docs_base_url, ou às páginas de programador arquivadas
doctor-tls-other = falhou: { $error }
doctor-tls-other-fix = Verifique --api, --ca-file e o certificado cliente
doctor-tls-proxy-cut = o proxy { $proxy } abriu o túnel para { $host }, depois o handshake TLS através dele foi interrompido ({ $why }): o proxy, ou o que está atrás dele, cortou-o
doctor-tls-proxy-cut-fix = Pergunte a quem gere o proxy se deixa passar TLS para este anfitrião, ou defina NO_PROXY={ $host } se o gateway for alcançável sem o proxy
doctor-cert-required = nenhum indicado, e o gateway exige um
doctor-cert-fix-config = Indique um com --client-cert FICHEIRO --client-key FICHEIRO (ou client_cert/client_key no ficheiro de configuração)
doctor-cert-not-asked = nenhum indicado; o gateway não pediu
doctor-cert-none = nenhum indicado
doctor-cert-none-plain = nenhum indicado (http:// simples)
doctor-cert-unusable-plain = não apresentado em http:// simples, mas não poderia ser apresentado a um gateway https://: { $why }
doctor-cert-about = { $path }: { $subject }, emitido por { $issuer }
doctor-cert-refused = { $about }: o gateway o recusou ({ $alert })
doctor-cert-unsupported = { $about }: o gateway recusou-o como não suportado; quase sempre não foi feito para um cliente (o certificado de um servidor)
doctor-cert-fix-client-use = Use um certificado emitido para autenticação de cliente
doctor-cert-expired-said = { $about }: segundo o gateway, expirou
doctor-cert-not-taken = { $about }: o gateway não o aceitou
doctor-cert-fix-authority = Use um certificado emitido pela autoridade em que o gateway confia
doctor-cert-expired = { $about }: vencido há { $days ->
        [one] { $days } dia
       *[other] { $days } dias
    }
doctor-cert-fix-new = Peça um novo certificado cliente
doctor-cert-not-yet = { $about }: ainda não é válido
doctor-cert-ends-soon = { $about }: { $days ->
        [one] falta { $days } dia
       *[other] faltam { $days } dias
    }
doctor-cert-fix-soon = Peça em breve um novo certificado cliente
doctor-cert-ok-left = { $about }; a chave confere; { $days ->
        [one] falta { $days } dia
       *[other] faltam { $days } dias
    }
doctor-cert-ok = { $about }; a chave confere
doctor-source-config-token = o token do ficheiro de configuração
doctor-source-config-token-file = o token_file do ficheiro de configuração { $path }
doctor-source-nowhere = lugar nenhum
doctor-token-wanted = nenhum indicado, e o gateway quer um
doctor-token-wanted-said = nenhum indicado, e o gateway quer um (HTTP 401), dizendo «{ $said }»
doctor-token-fix-give = Inicie sessão com `stepwise login`, ou indique um com --token-file CAMINHO, STEPWISE_TOKEN ou `token` no ficheiro de configuração
doctor-token-fix-fixed = Não oferece início de sessão: o seu token vem de quem o gere. Guarde esse token com `stepwise login --with-token`, ou indique-o com --token-file CAMINHO, STEPWISE_TOKEN ou `token` no ficheiro de configuração
doctor-token-embedded = o simulador embutido não precisa de um
doctor-token-not-asked = nenhum indicado; o gateway não pediu
doctor-token-not-checked = nenhum indicado; não verificado: nenhum gateway de passos respondeu
doctor-token-not-checked-unusable = nenhum indicado; não verificado: o que respondeu não pôde ser usado (a linha Primeira lista diz como)
doctor-token-none-limited = nenhum indicado; não verificado: os pedidos estão limitados (HTTP 429)
doctor-token-none-failing = nenhum indicado; não verificado: as respostas foram falhas (HTTP 5xx)
doctor-fix-proxy-password = O proxy quer nome de utilizador e palavra-passe: coloque-os na variável do proxy (http://utilizador:palavra-passe@proxy:porta)
doctor-fix-proxy-password-refused = O proxy recusou o utilizador e a palavra-passe da variável do proxy: verifique-os (caracteres como @ : / % têm de ser codificados em percentagem)
doctor-fix-not-a-gateway = Este endereço não é um gateway de passos: indique em --api o URL base sob o qual fica pims/subscription/steps
doctor-token-embedded-given = origem: { $source }; não é enviado ao simulador embutido
doctor-token-expired = origem: { $source }; vencido há { $ago }
doctor-token-fix-new = Obtenha um novo token
doctor-token-login-unreadable = nenhum enviado: { $why }
doctor-token-fix-login-damaged = Depois de o mover, volte a iniciar sessão com `stepwise login`, ou indique um token com --token-file CAMINHO, STEPWISE_TOKEN ou `token` no ficheiro de configuração
doctor-token-login-unreadable-unneeded = nenhum enviado, e o gateway respondeu sem token. Sessão guardada: { $why }
doctor-token-expired-taken = de { $source }; a validade diz que terminou há { $ago }, mas o gateway aceitou-o
doctor-token-fix-new-soon = Obtenha um token novo antes que o gateway comece a recusar este
doctor-token-refused = origem: { $source }; o gateway o recusou (HTTP 401)
doctor-token-dropped = origem: { $source }; o gateway responde como se nenhum token o tivesse alcançado (o seu desafio não nomeia nenhum erro), e o pedido passou pelo proxy { $proxy }: o proxy pode estar a retirar o cabeçalho Authorization
doctor-token-refused-said = origem: { $source }; o gateway recusou-o (HTTP 401) dizendo «{ $said }»
doctor-token-scope = origem: { $source }; o gateway aceitou-o, mas diz que lhe falta um âmbito (HTTP { $status }, insufficient_scope)
doctor-token-fix-refused = Obtenha um novo token, ou verifique se ele é para este gateway
doctor-token-fix-dropped = Um token novo seria recusado da mesma forma: defina NO_PROXY para este host se o gateway for acessível sem o proxy, ou peça a quem opera o proxy para deixar passar o cabeçalho Authorization
doctor-token-fix-beside-file = Uma sessão guardada para este gateway é aceite por ele (testada agora), e --token-file tem prioridade sobre ela: retire --token-file para usar essa sessão, ou coloque nesse ficheiro o token atual deste gateway
doctor-token-fix-beside-environment = Uma sessão guardada para este gateway é aceite por ele (testada agora), e STEPWISE_TOKEN tem prioridade sobre ela: remova STEPWISE_TOKEN para usar essa sessão, ou defina-a com o token atual deste gateway
doctor-token-fix-beside-refused = A sessão guardada para este gateway também é recusada (testada agora): obtenha o token atual deste gateway e renove a sessão guardada (`stepwise login`, ou `stepwise login --with-token` onde o gateway não oferece início de sessão)
doctor-token-expires = origem: { $source }; vence em { $within }
doctor-token-not-tried = origem: { $source }; não tentado (o gateway não foi alcançado)
doctor-token-not-tried-unusable = origem: { $source }; não avaliado: o que respondeu não pôde ser usado (a linha Primeira lista diz como)
doctor-token-failing = origem: { $source }; não julgado: todas as respostas foram falhas (HTTP 5xx), que nada dizem do token
doctor-token-limited = origem: { $source }; não tentado: os pedidos estão limitados (HTTP 429)
doctor-token-took = origem: { $source }; o gateway o aceitou (o vencimento não vem escrito nele)
doctor-token-unchecked = origem: { $source }; enviado, mas o gateway responde também sem token: aqui não verifica nenhum, portanto não aceitou nem recusou este
doctor-token-renewed = origem: { $source }; o gateway recusou o token guardado (HTTP 401) e aceitou o renovado para ele, como cada comando o renova
doctor-token-renewal-failed = origem: { $source }; o gateway recusou-o (HTTP 401), e renová-lo, como cada comando faria, falhou: { $why }
doctor-token-due-renewal-failed = origem: { $source }; o token tinha expirado, e renová-lo, como cada comando faria, falhou: { $why }
doctor-why-timeout = sem resposta em { $secs } s
doctor-http-setup = não foi possível preparar o HTTP: { $error }
doctor-no-answer = nenhuma resposta utilizável: { $why }
doctor-not-a-list = a resposta não é uma lista de passos: { $error }
doctor-not-a-step = a resposta não é um passo: { $error }
doctor-fix-steps-gateway = Verifique se --api aponta para um gateway de passos
doctor-fix-not-a-list-here = --api responde como um gateway de passos (a linha Corpo de erro): o que está errado é a resposta dele para este carAssociationID. Avise quem opera o gateway; o doctor com o id de outro veículo mostra se outros recebem a lista
doctor-fix-proxy-html = A resposta veio pelo proxy: a página pode ser a do próprio proxy (uma página de início de sessão ou portal). Defina NO_PROXY={ $host } se o gateway puder ser alcançado sem o proxy; caso contrário, verifique se --api aponta para um gateway de passos
doctor-list-cut = a lista foi cortada: { $error }
doctor-fix-cut = Tente novamente; se continuar cortada, o gateway ou algo no caminho (um proxy) corta as respostas: avise quem opera o gateway
doctor-fix-no-answer = Tente de novo; se persistir, o gateway ou algo à frente dele (um proxy, um balanceador de carga) descarta esta chamada: avise o operador do gateway
doctor-fix-unusable = Veio uma resposta, mas nenhuma que o stepwise possa usar, e pedir de novo dá o mesmo: faça o que as palavras acima dizem
doctor-fix-network-proxy = Um proxy desta rede respondeu, embora nenhum esteja configurado aqui: defina HTTPS_PROXY (HTTP_PROXY para http://) como http://utilizador:palavra-passe@proxy:porta com o endereço dele, ou pergunte ao administrador da rede
doctor-fix-limited = O gateway está a limitar os pedidos: aguarde um minuto e execute o doctor de novo
doctor-fix-wait = O gateway pede para aguardar { $secs } s: execute o doctor de novo depois disso; se persistir, avise quem opera o gateway
doctor-fix-refused-front = Algo à frente do gateway (uma firewall, uma WAF ou um proxy inverso) recusou o pedido: peça a quem o gere para deixar passar esta máquina
doctor-fix-refused-proxy = O proxy, ou algo à frente do gateway, recusou o pedido: pergunte a quem gere o proxy se deixa passar este endereço, ou defina NO_PROXY para este anfitrião se o gateway puder ser alcançado sem o proxy
doctor-fix-proxy-bare-401 = Dê primeiro o token do gateway (veja a linha Token); se o 401 continuar com um token, pergunte a quem gere o proxy se pede um início de sessão próprio, ou defina NO_PROXY={ $host } se o gateway for alcançável diretamente
doctor-error-body-no-answer = nenhuma resposta utilizável do gateway: { $why }
doctor-error-body-no-answer-fix = Verifique se o gateway está em execução e não está sobrecarregado, e tente de novo
doctor-error-body-dropped = um pedido sem id não teve resposta ({ $why }) onde um gateway responde 400 com uma mensagem JSON; a primeira lista foi pedida por carAssociationID mesmo assim
doctor-why-wants-tls = o servidor em { $base } fala TLS, e --api diz http://
doctor-fix-use-https = Use https:// em --api (o servidor fala TLS)
doctor-clock-skipped = não executado: nenhum gateway de passos respondeu
doctor-clock-unusable = não executado: o que respondeu não pôde ser usado (a linha Primeira lista diz como)
doctor-clock-limited = não executado: os pedidos estão limitados (HTTP 429); execute doctor de novo após a espera
doctor-clock-failed = não executado: a resposta foi uma falha (HTTP { $status }), sem lista nem corpo de erro do gateway de onde ler o relógio
doctor-error-body-ok = um pedido sem id recebe 400 com uma mensagem JSON ({ $message })
doctor-error-body-other-shape = um pedido sem id recebe 400 com uma mensagem JSON de outra forma comum (RFC 7807 ou OAuth), que o stepwise lê ({ $message })
doctor-error-body-code-only = só o código
doctor-error-body-not-json = um pedido sem id recebe 400, mas sem corpo JSON { $shape }
doctor-fix-error-json = Avise quem opera o gateway: os corpos de erro devem ser JSON
doctor-fix-error-400 = Avise o operador do gateway: um pedido sem id deveria receber 400 com o corpo de erro. Só se a linha Primeira lista também falhou, verifique se --api aponta para um gateway de passos
doctor-fix-error-400-no-car = Talvez isto nem seja um gateway de passos: execute de novo com --car ID. Se a linha Primeira lista então funcionar, avise o operador do gateway de que um pedido sem id deveria receber 400; se não, verifique se --api aponta para um gateway de passos
doctor-error-body-401 = não verificado: o gateway quer antes um token válido (HTTP 401)
doctor-error-body-unjudged = não avaliado: a primeira lista também não encontrou um gateway de passos neste endereço
doctor-error-body-unjudged-failed = não avaliado: a primeira lista também não teve resposta
doctor-error-body-unjudged-unusable = não avaliado: a resposta da primeira lista também não pôde ser usada
doctor-error-body-proxy = não avaliado: o proxy respondeu no lugar do gateway
doctor-error-body-gateway-down = não julgado: o gateway não está a correr em { $host }:{ $port } (nada escuta ali, testado diretamente)
doctor-error-body-limited = não avaliado: os pedidos estão limitados (HTTP 429)
doctor-error-body-other = um pedido sem id recebe { $answer } em vez de 400
doctor-error-body-failing = não julgado: um pedido sem id recebe { $answer }, uma falha que nada diz de como o gateway responde a um pedido errado
doctor-first-no-car = não tentado: nenhum carAssociationID indicado
doctor-first-no-car-fix = Execute de novo com --car ID para testar as chamadas de passos
doctor-first-401 = HTTP 401: o gateway quer um token válido
doctor-first-proxy-login = HTTP 401 com uma autenticação (Basic) do proxy, não do gateway: o pedido nunca chegou ao gateway
doctor-first-proxy-page = HTTP 401 com uma página web sem desafio, através do proxy: a do próprio proxy, ou uma que ele reencaminhou da frente do gateway (um portal, um proxy inverso), não um pedido de token de um gateway
doctor-first-proxy-page-401 = HTTP 401 com uma página web sem corpo de erro de gateway, através do proxy: a do próprio proxy, ou uma que ele reencaminhou da frente do gateway (um portal, um proxy inverso)
doctor-basic-prompt = HTTP 401 a pedir uma autenticação a que um token bearer não pode responder (utilizador e palavra-passe, ou início de sessão do Windows), sem o corpo de erro de um gateway: a autenticação de um servidor web ou de um proxy inverso, não um gateway de passos (que aceita um token bearer)
doctor-front-401 = HTTP 401 com uma página web e sem desafio de início de sessão (sem cabeçalho WWW-Authenticate), sem corpo de erro de um gateway: algo à frente do gateway (um proxy inverso, um servidor web ou um portal) pede um início de sessão próprio; nenhum token foi avaliado
doctor-fix-front-401 = Se vieram listas deste endereço sem token antes, não falta nenhum token do gateway: pergunte a quem gere a rede ou o gateway o que pede este início de sessão; caso contrário, pergunte-lhes se o gateway quer um token aí
doctor-see-token = Veja a linha Token
doctor-see-proxy = Veja a linha Proxy
doctor-first-fix-car = Verifique o carAssociationID indicado com --car
doctor-first-fix-demo = Nenhum gateway está configurado (nem --api, nem STEPWISE_API, nem `api` no ficheiro de configuração), por isso o doctor verificou a demo incorporada, que só conhece { $ids }: para verificar o seu gateway, indique --api URL
doctor-first-fix-filter = As palavras do gateway referem o filtro de estado (stepsStatus), que o doctor não escolheu: pediu todos os passos com stepsStatus=all, o valor por omissão do contrato (steps e o assistente pedem então sem ele). Avise quem gere o gateway
doctor-first-fix-car-or-api = As palavras dele não nomeiam nenhum id: verifique o carAssociationID dado com --car; se a linha Corpo de erro recebe o mesmo 404 para uma chamada sem id, --api não aponta para o gateway de passos (o 404 de um router): verifique --api
doctor-first-no-steps-id = { $count ->
        [one] { $count } passo
       *[other] { $count } passos
    } mas nenhum stepsID
doctor-first-fix-steps-id = Avise quem opera o gateway: a lista deve trazer um stepsID
doctor-first-ok = carAssociationID { $car }: { $count ->
        [one] { $count } passo
       *[other] { $count } passos
    } ({ $done } { $done ->
        [one] feito
       *[other] feitos
    }), stepsID { $steps_id }
doctor-first-slow = O gateway demorou até { $secs } s a responder: lento, mas dentro dos { $limit } s que o assistente espera (um gateway ocupado, ou uma linha lenta)
doctor-refresh-ok = { $count ->
        [one] { $count } passo
       *[other] { $count } passos
    }
doctor-refresh-fix = A lista relida cita outros passos que a primeira: avise quem opera o gateway
doctor-next-todo = { $name } a fazer
doctor-next-none = nada mais a fazer
doctor-next-nothing = nada
doctor-next-disagrees = { $got }, mas a lista diz { $listed }
doctor-next-fix = Avise quem opera o gateway: o próximo passo não bate com a lista
doctor-filter-ok = stepsStatus=todo devolve { $todo ->
        [one] o único passo a fazer
       *[other] os { $todo } passos a fazer
    }
doctor-filter-bad = stepsStatus=todo devolve { $count ->
        [one] { $count } passo
       *[other] { $count } passos
    } ({ $stray } fora do a fazer); a lista tem { $todo } a fazer
doctor-filter-unknown = { $bad }; e mais { $unknown } com um estado fora do contrato, que o stepwise conta como não feitos
doctor-filter-fix = Avise quem opera o gateway: stepsStatus não é aplicado
doctor-events-ok = oferecidos, e o primeiro evento (a lista atual) chegou de imediato: o assistente acompanha as mudanças ao vivo
doctor-events-silent = o fluxo abriu, mas nenhum evento chegou em { $secs } s, embora um gateway envie a lista atual de imediato: algo no caminho (um proxy) retém os eventos. O assistente volta a ligar-se e depois consulta periodicamente
doctor-events-other-type = o fluxo abriu e enviou eventos do tipo «{ $kind }», mas nenhum do tipo steps em { $secs } s: as listas dele chegam com outro tipo de evento que não o do contrato, e o assistente não lê nenhuma. O assistente volta a ligar-se e depois consulta periodicamente
doctor-events-no-list-events = o fluxo abriu e enviou só eventos do tipo «{ $kind }», sem lista neles, e nenhuma lista em { $secs } s, embora um gateway envie a lista atual de imediato. O assistente volta a ligar-se e depois consulta periodicamente
doctor-events-fix-other-type = Avise quem gere o gateway: cada lista deve vir como `event: steps` (ou sem linha event), não como «{ $kind }»
doctor-events-cut = o fluxo fechou antes de o primeiro evento estar completo (após { $bytes } bytes): o gateway cortou-o, por isso o assistente volta a ligar e depois consulta
doctor-events-empty = a chamada de eventos respondeu e terminou sem enviar nada (0 bytes): não serve fluxo de eventos, por isso o assistente volta a ligar e depois consulta
doctor-events-not-text = os bytes do fluxo não são texto UTF-8: o assistente corta-o, volta a ligar-se e depois consulta
doctor-events-error-event = o primeiro evento é um erro, não a lista atual: { $said }
doctor-events-fix-buffered = Peça a quem gere o proxy que deixe passar text/event-stream sem buffer (nginx: proxy_buffering off)
doctor-events-fix-buffered-direct = Nenhum proxy está em uso aqui: avise o operador do gateway de que o gateway, ou um proxy inverso à frente dele, retém os eventos ou não envia a lista atual de imediato (nginx: proxy_buffering off)
doctor-events-other-list = o primeiro evento é a lista de outro stepsID que não o pedido: o assistente não a aceita
doctor-events-bad-event = o primeiro evento não é uma lista de passos ({ $error }): o assistente passa a consultar periodicamente
doctor-events-compressed = o fluxo veio comprimido, embora o stepwise não o peça: o assistente consulta periodicamente em vez disso
doctor-events-fix-compressed = Peça a quem opera o gateway (ou o proxy) que envie text/event-stream sem compressão
doctor-events-not-stream = responde, mas não com text/event-stream: o assistente consulta periodicamente
doctor-events-page = respondeu com uma página web (HTML), não com text/event-stream: algo à frente do gateway (um proxy, uma firewall) pode estar a barrar fluxos; o assistente consulta periodicamente
doctor-events-fix = Avise quem opera o gateway: os eventos ao vivo devem ser Server-Sent Events
doctor-events-fix-page = Peça a quem gere a rede à frente do gateway (um proxy, uma firewall) que deixe passar text/event-stream; se nada estiver à frente, avise o operador do gateway
doctor-events-fix-2346 = Avise quem opera o gateway: a chamada de eventos dele recusa stepsIDs a que a chamada de lista responde
doctor-events-fix-content = Avise o operador do gateway: cada evento deve trazer como dados a lista de passos do stepsID pedido
doctor-events-fix-cut = Avise o operador do gateway (ou quem gere um proxy inverso à frente dele) de que o fluxo de eventos é fechado a meio do primeiro evento
doctor-events-fix-empty = Avise quem gere o gateway (ou um proxy inverso à frente dele) de que a chamada de eventos termina logo sem transmitir: talvez um proxy a retenha ou a corte
doctor-events-fix-error-event = Avise o operador do gateway do que o fluxo de eventos disse: um fluxo deve começar pela lista atual do stepsID pedido, que a chamada da lista acabou de dar
doctor-events-404 = não oferecidos (404): o assistente consulta periodicamente
doctor-events-2346 = recusado (404, código 2346): o fluxo diz não ter passo para o stepsID { $id }, que a chamada da lista acabou de dar: o gateway contradiz-se. O assistente consulta em vez disso
doctor-events-http = { $answer }: o assistente consulta periodicamente
doctor-events-limited = { $answer }: o gateway limita o fluxo. O assistente espera { $secs } s, como o gateway pede, com todos os pedidos a ele, e depois reabre o fluxo: a lista no ecrã não é atualizada entretanto
doctor-events-limited-unnamed = { $answer }: o gateway limita o fluxo. O assistente espera o que o gateway pedir, com todos os pedidos a ele, e depois reabre o fluxo: a lista no ecrã não é atualizada entretanto
doctor-events-no-answer = sem resposta ({ $why }): o assistente reabre o fluxo esperando mais de cada vez, e só consulta periodicamente se uma lista chegar entretanto
doctor-events-proxy-held = sem resposta através do proxy { $proxy }, embora as chamadas de lista por ele tenham tido resposta: o proxy retém uma resposta que não termina (armazena em buffer o fluxo de eventos). O assistente consulta periodicamente em vez disso
doctor-events-proxy-own = o proxy { $proxy } respondeu ele próprio HTTP { $status } ao fluxo de eventos, embora as chamadas de lista por ele tenham sido respondidas: o proxy não passa o fluxo. O assistente consulta em vez disso
doctor-events-fix-proxy-held = Peça a quem gere o proxy que deixe passar text/event-stream sem buffer, ou defina NO_PROXY={ $host } se o gateway for acessível sem ele
doctor-guidance-ok = oferecidas: o código QR e a tecla «o» abrem a página do gateway no idioma do cliente
doctor-guidance-404 = não oferecidas (404): o código QR leva a docs_base_url, ou às páginas arquivadas para desenvolvedores
doctor-guidance-http = { $answer }: o código QR leva a docs_base_url, ou às páginas arquivadas para desenvolvedores
doctor-guidance-no-answer = sem resposta ({ $why }): o código QR leva a docs_base_url, ou às páginas arquivadas para desenvolvedores
doctor-clock-no-date = o gateway não envia o cabeçalho Date: não dá para comparar os relógios
doctor-clock-bad-date = o cabeçalho Date do gateway { $date } não pode ser lido
doctor-clock-ahead = o relógio desta máquina está { $secs } s adiantado em relação ao gateway
doctor-clock-behind = o relógio desta máquina está { $secs } s atrasado em relação ao gateway
doctor-clock-fix = Verifique a data e a hora desta máquina: se estiverem certas, o relógio do gateway está errado (avise o operador); se não, acerte o relógio desta máquina (NTP): as verificações de token e de certificado dependem dele
doctor-clock-fix-gateway = O relógio do gateway está errado: a data dele ({ $date }) é anterior à criação deste programa. Avise o operador do gateway; deixe o relógio desta máquina como está
doctor-clock-fix-ours = O relógio desta máquina está errado: mostra uma data anterior à criação deste programa. Acerte-o (NTP): as verificações de token e de certificado dependem dele
doctor-clock-ok = no máximo { $secs } s de diferença do gateway

## The command line's own errors (clap's error kinds, in words of the catalogue)

help-cli-options-placeholder = [OPÇÕES]
help-cli-value-file = FICHEIRO
help-cli-value-path = CAMINHO
help-cli-value-seconds = SEGUNDOS
help-cli-value-dir = PASTA
help-cli-value-mode = MODO
help-cli-value-status = ESTADO
help-cli-value-shell = SHELL
help-cli-value-lang = IDIOMA
help-cli-value-token = TOKEN
help-cli-value-addr = ENDEREÇO
cli-clap-missing-value = '{ $arg }' precisa de um valor, mas não foi indicado nenhum
cli-clap-invalid-value = valor '{ $value }' inválido para '{ $arg }'
cli-clap-possible-values = valores possíveis: { $values }
cli-clap-unknown-argument = argumento inesperado '{ $arg }'
cli-arg-token-as-argument = login --with-token lê o token da entrada padrão, nunca da linha de comandos, onde o histórico da shell e a lista de processos o guardam (o valor dado não é mostrado): `stepwise login --with-token < token.txt`, ou execute `stepwise login --with-token` e cole-o
cli-clap-unknown-command = comando desconhecido '{ $name }'
cli-clap-missing-required = faltam estes argumentos obrigatórios: { $args }
cli-clap-only-with = { $given } só vale com { $needed }: acrescente { $needed } ou retire { $given }
cli-clap-range = indique um número de { $low } a { $high }
cli-clap-conflict = o argumento '{ $arg }' não pode ser usado com { $other }
cli-clap-repeated = o argumento '{ $arg }' só pode ser indicado uma vez
cli-clap-extra-value = valor inesperado '{ $value }' para '{ $arg }'
cli-clap-needs-command = '{ $name }' precisa de um comando: { $values }
cli-clap-did-you-mean = queria dizer '{ $suggestion }'?
cli-no-watch-command = não existe o comando watch: acompanhar é a tecla w do assistente (`stepwise --car ID`, depois w; para muitos veículos `stepwise fleet --cars FICHEIRO`, depois w); um script pede de novo `stepwise steps --car ID`
cli-clap-try-help = Para mais informações, experimente '--help'.
cli-clap-other = não é possível ler a linha de comandos

cli-arg-internal-error = o stepwise parou após um erro interno (a mensagem está acima); o ficheiro de registo tem os detalhes para o suporte.
help-section-note = A nota para o relatório
key-help-note = escrever uma nota para o relatório da sessão
key-help-save-note = guardar a nota para o relatório
key-help-type-note = escrever a nota
report-empty = Nada aconteceu nesta sessão: nenhum veículo foi aberto e nenhuma nota foi escrita.
report-ended-quit = Sessão terminada às { $at }: o técnico saiu.
report-ended-hangup = Sessão terminada às { $at }: o terminal foi fechado (SIGHUP), não pela saída do técnico.
report-ended-signal = Sessão terminada às { $at }: parada por { $signal }, não pela saída do técnico.
report-ended-terminal = Sessão terminada às { $at }: o terminal desapareceu durante a sessão, não pela saída do técnico.
report-notes = Notas e eventos da sessão
report-event-explained = código { $code } explicado: { $meaning }
report-event-filter-chosen = filtro de estado escolhido: { $status }
report-event-watch-on = acompanhamento ativado
report-event-watch-off = acompanhamento desativado
report-event-watch-stopped = o acompanhamento parou sozinho: { $what } (perguntar de novo não mudaria a resposta)
report-event-guide-lang = as instruções do cliente passaram para { $lang }
report-event-held = o HTTP 429 do gateway reteve todos os pedidos a ele durante { $secs } s (o Retry-After dele): nenhuma lista foi pedida entretanto, e as mostradas envelheceram
report-event-note = nota: { $text }
report-event-signed-in = sessão iniciada no assistente (i); os veículos recusados por falta de token pedem de novo
report-event-sign-in-failed = o início de sessão no assistente (i) falhou: { $detail }
report-event-note-unfinished = nota (incompleta: estava a ser escrita quando o assistente terminou): { $text }

## The manual page's section headings (stepwise man)

man-section-name = NOME
man-section-synopsis = SINOPSE
man-section-description = DESCRIÇÃO
man-section-options = OPÇÕES
man-section-extra = NOTAS
man-section-version = VERSÃO
man-section-authors = AUTORES
man-section-environment = AMBIENTE
man-env-token = O token bearer do gateway (sem ela, vale a sessão guardada)
man-env-docs-url = As páginas de ajuda do concessionário, para onde levam as ligações do guia do técnico (docs_base_url no ficheiro de configuração)
man-env-token-store = Onde o login guarda tokens: keyring, file ou auto (predefinição)
man-env-config = O ficheiro de configuração lido em vez do predefinido (stepwise doctor mostra o caminho)
man-env-log = O filtro do registo, como debug ou stepwise=trace (predefinição info); os registos vão para a pasta logs da pasta de dados
man-env-no-color = Definida e não vazia: sem cor no ecrã
man-section-files = FICHEIROS
man-section-keys = TECLAS
man-files-config = O ficheiro de configuração (STEPWISE_CONFIG indica outro; no macOS e no Windows fica na pasta do sistema, que o stepwise doctor mostra)
man-files-device-id = O id de dispositivo desta instalação, enviado em cada pedido
man-files-recent = Os últimos carAssociationIDs abertos, guardados por gateway e oferecidos no ecrã inicial quando o mesmo gateway é usado de novo
man-files-logins = Sessões guardadas pelo stepwise login quando não se usa um porta-chaves, legíveis só pelo utilizador
man-files-reports = Relatórios de sessão escritos com x (--report escreve onde indicar)
man-files-logs = Os registos do assistente (STEPWISE_LOG define quanto)
man-files-demo-state = O que o backend de demonstração aprendeu em execuções anteriores (stepwise demo --fresh esquece-o)
man-files-sim-tls = A autoridade, o certificado e a chave do stepwise serve --tls, a menos que --tls-dir indique outra pasta
auth-unknown-client = o fornecedor de identidade não conhece o client id { $client } ({ $said }). Defina o id registado lá para o stepwise com --client-id ID ou `client_id` no ficheiro de configuração
auth-client-wants-secret = o fornecedor de identidade quer que o cliente { $client } se autentique ({ $said }): está registado lá como cliente confidencial, com um segredo, e o stepwise inicia sessão como cliente público. Peça a quem gere o fornecedor um id de cliente público para o stepwise (sem segredo, com início de sessão por dispositivo ou navegador permitido) e indique-o com --client-id ID ou `client_id` no ficheiro de configuração
auth-client-not-allowed = o fornecedor de identidade conhece o id de cliente { $client }, mas não o deixa iniciar sessão deste modo ({ $said }), e não oferece ao stepwise outro modo. Peça ao administrador do fornecedor que permita o fluxo de dispositivo para este cliente; entretanto, guarde um token com `stepwise login --with-token`
auth-client-not-allowed-device = o fornecedor de identidade conhece o id de cliente { $client }, mas não o deixa iniciar sessão com um código noutro dispositivo ({ $said }). Inicie sessão num navegador: `stepwise login` sem --device, numa máquina com ambiente de trabalho; ou peça ao administrador do fornecedor que permita o fluxo de dispositivo para este cliente; ou guarde um token com `stepwise login --with-token`
auth-client-not-allowed-browser = o fornecedor de identidade conhece o id de cliente { $client }, mas não o deixa iniciar sessão num navegador ({ $said }). Inicie sessão com um código noutro dispositivo: `stepwise login --device`; ou peça ao administrador do fornecedor que o permita; ou guarde um token com `stepwise login --with-token`
auth-unknown-scope = o fornecedor de identidade não conhece um dos scopes pedidos ({ $said }); pedidos: { $scopes }. Defina os que ele conhece com --scope ou `scopes` no ficheiro de configuração (pergunte a quem o gere), e execute `stepwise login` novamente
err-signin-issuer-mismatch = o fornecedor de identidade em { $asked } identifica-se como { $got }: os metadados não são os dele. Verifique --issuer (ou STEPWISE_ISSUER, `issuer` no ficheiro de configuração) se foi indicado, caso contrário avise quem gere o gateway (os metadados de início de sessão dele indicam este fornecedor)
err-signin-issuer-unnamed = os metadados do fornecedor de identidade em { $asked } não nomeiam emissor (falta o membro `issuer`), por isso não é possível confirmar que são dele. Avise quem gere o fornecedor; verifique --issuer (ou STEPWISE_ISSUER, `issuer` no ficheiro de configuração) se foi indicado
err-signin-resource-mismatch = os metadados de início de sessão que o gateway em { $gateway } publica ({ $path }) são de outro recurso, { $named }: os tokens da sessão que indicam seriam para esse recurso, não para este gateway, por isso não são usados (RFC 9728). Avise quem gere o gateway; se conhece o fornecedor de identidade deste gateway, indique-o com --issuer (ou STEPWISE_ISSUER, `issuer` no ficheiro de configuração)
err-signin-issuer-none = o fornecedor de identidade em { $issuer } não publica metadados (nem /.well-known/openid-configuration nem /.well-known/oauth-authorization-server; HTTP { $status }). Verifique --issuer (ou STEPWISE_ISSUER, `issuer` no ficheiro de configuração) se foi indicado, caso contrário avise quem gere o gateway (os metadados de início de sessão dele indicam este fornecedor)
err-signin-issuer-missing = o fornecedor de identidade em { $issuer } publica metadados sem { $field }: não oferece ali nenhum início de sessão que o stepwise possa usar. Verifique --issuer (ou STEPWISE_ISSUER, `issuer` no ficheiro de configuração) se foi dado; se não, avise o operador do gateway (os metadados de início de sessão dele nomeiam este fornecedor)
err-signin-issuer-bad = o emissor { $issuer } não é um URL http(s). Indique um como https://login.example.com/realms/workshop
err-signin-endpoint-authorization = endereço de autorização
err-signin-endpoint-revocation = endereço de revogação
login-expires-no-refresh = O token expira às { $time }. Não veio com ele nenhum token de renovação (o fornecedor dá um com o scope offline_access), por isso volte a iniciar sessão a essa hora.
login-expires-no-refresh-asked = O token expira às { $time }. Não veio nenhum token de atualização com ele, embora o início de sessão tenha pedido offline_access: o fornecedor de identidade não dá nenhum ao stepwise (o seu administrador pode permiti-lo), por isso inicie sessão de novo nessa altura.
login-keyring-fallback = Nota: o porta-chaves não conseguiu guardar o token ({ $why }), por isso fica guardado num ficheiro que só o seu utilizador pode ler (modo 0600). `stepwise logout` remove-o.
login-browser-signing-in = Endereço entregue ao navegador: inicie sessão lá e depois volte aqui (Ctrl-C cancela).
login-browser-address = Se nenhum navegador mostrar o início de sessão, abra este endereço neste computador: { $address }
login-browser-done = Sessão iniciada: feche este separador e volte ao terminal.
login-browser-failed-page = Este início de sessão não foi bem-sucedido: o terminal diz porquê.
logout-revoked = O fornecedor de identidade revogou a sessão ({ $endpoint }).
logout-revoked-page = O endereço de revogação ({ $endpoint }) respondeu HTTP 200, o que significa revogada, mas com uma página web onde o fornecedor de identidade não responde nada: se um portal ou proxy responde ali no lugar dele, a sessão pode continuar válida no fornecedor até expirar.
logout-not-revoked = O fornecedor de identidade não oferece revogação: a sessão é esquecida aqui, e o token de renovação continua válido lá até expirar.
logout-not-revoked-access = O fornecedor de identidade não oferece revogação: a sessão é esquecida aqui, e o token continua válido lá até expirar.
logout-revoke-failed = A revogação no fornecedor de identidade falhou ({ $why }); a sessão é esquecida aqui na mesma. O token de renovação continua válido no fornecedor até expirar ou o fornecedor o terminar: peça ao administrador que o revogue se tiver de terminar já.
logout-already-ended = O fornecedor de identidade já tinha terminado esta sessão ({ $said }): não há nada a revogar.
logout-revoke-failed-access = A revogação no fornecedor de identidade falhou ({ $why }); a sessão é esquecida aqui na mesma. O token continua válido no fornecedor até expirar: peça ao administrador que o revogue se tiver de terminar já.
status-over = Renovação: terminada pelo fornecedor de identidade ({ $said }). Execute `stepwise login`
status-over-client = Renovação: recusada: o fornecedor de identidade não aceita o id de cliente { $client } ({ $said }). Inicie sessão com o que ele conhece: `stepwise login --client-id ID` (ou defina `client_id` no ficheiro de configuração)
status-client = Cliente:   { $client }, scopes { $scopes }, audiência { $audience }
status-scopes-granted = { $asked } pedidos, { $granted } concedidos
help-cli-login-issuer = O URL do emissor do fornecedor de identidade (senão STEPWISE_ISSUER, `issuer` no ficheiro de configuração, senão descoberto a partir do gateway)
help-cli-login-client-id = O client id registado para o stepwise no fornecedor de identidade (senão `client_id` no ficheiro de configuração, senão stepwise)
help-cli-login-scope = Os scopes a pedir, separados por espaços (senão `scopes` no ficheiro de configuração, senão os do gateway, senão "openid offline_access")
help-cli-login-audience = A audiência (recurso) para a qual pedir o token (senão `audience` no ficheiro de configuração)
help-cli-login-device = Iniciar sessão com um código aprovado em qualquer navegador, mesmo onde fosse possível abrir um aqui
help-cli-serve-client-id = Um client id que o fornecedor de identidade conhece (pode repetir-se; predefinição: stepwise)
doctor-source-login = a sessão guardada (`stepwise login`)
doctor-token-login-over = o fornecedor de identidade terminou a sessão guardada ({ $said })
doctor-token-fix-login = Execute `stepwise login`
doctor-token-fix-client-id = Defina o client id que o fornecedor de identidade conhece com --client-id ID (ou `client_id` no ficheiro de configuração) e depois execute `stepwise login --client-id ID`
doctor-token-fix-kept-fixed = Foi guardado com `stepwise login --with-token`: peça a quem gere o gateway o token atual e guarde-o com `stepwise login --with-token`

err-config-token-not-text = o ficheiro de configuração { $file } traz um token que não é texto entre aspas (o valor não é mostrado). Escreva-o como token = "…", exatamente como o gateway o emitiu
err-file-too-large = mais de { $limit } KiB, muito mais do que um ficheiro destes alguma vez contém
err-io-not-found = ficheiro não encontrado
err-io-denied = permissão negada (este utilizador não o pode ler)
err-io-folder = é uma pasta, não um ficheiro
err-io-not-text = não é texto UTF-8
gw-foreign-list = pediu-se a lista do stepsID { $asked }, e o gateway respondeu a lista do stepsID { $answered }; não é mostrada como a deste veículo. O gateway talvez tenha recomeçado este veículo com um stepsID novo: pergunte por carAssociationID (`stepwise steps --car ID`); se persistir, um proxy ou cache entre aqui e o gateway mistura as respostas
gw-foreign-next = pediu-se o próximo passo do stepsID { $asked }, e o gateway respondeu um do stepsID { $answered }; não é mostrado como o deste veículo. O gateway talvez tenha recomeçado este veículo com um stepsID novo: pergunte por carAssociationID (`stepwise steps --car ID`); se persistir, um proxy ou cache entre aqui e o gateway mistura as respostas
gw-title-redirect = Redirecionamento não seguido
gw-title-moved-away = Redirecionado para o nada
