using System;
using System.Collections.Frozen;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Medallion.Server.Web;

/// <summary>
/// The UI's languages: English and Brazilian Portuguese. Pages are written in English; <see cref="Translate"/> gives
/// the Portuguese of each phrase. The language is the one the user switched to (a cookie), else the first of the
/// browser's Accept-Language the UI speaks, else English.
/// </summary>
internal static class WebText
{
    public const string LanguageCookie = "medallion_lang";
    public const string English = "en";
    public const string Portuguese = "pt-BR";

    private static readonly FrozenDictionary<string, string> s_portuguese = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["Home"] = "Início",
        ["Jobs"] = "Tarefas",
        ["Runs"] = "Execuções",
        ["Catalog"] = "Catálogo",
        ["SQL"] = "SQL",
        ["Lineage"] = "Linhagem",
        ["Sign in"] = "Entrar",
        ["Sign out"] = "Sair",
        ["User"] = "Usuário",
        ["Password"] = "Senha",
        ["Language"] = "Idioma",
        ["Sign in to Medallion"] = "Entre no Medallion",
        ["The user name or password is wrong."] = "Usuário ou senha incorretos.",
        ["Too many sign-ins are in progress for this user or from this address. Try again in a few seconds."] = "Há entradas demais em andamento para este usuário ou deste endereço. Tente de novo em alguns segundos.",
        ["Passwords are accepted only over HTTPS or from this machine: start the server with --tls-cert and --tls-key."] = "Senhas só são aceitas por HTTPS ou nesta máquina: inicie o servidor com --tls-cert e --tls-key.",
        ["Health"] = "Saúde",
        ["Server"] = "Servidor",
        ["ready"] = "pronto",
        ["not ready"] = "não está pronto",
        ["Scheduler"] = "Agendador",
        ["running"] = "em execução",
        ["lease lost"] = "concessão perdida",
        ["standby"] = "em espera",
        ["off (role web)"] = "desligado (papel web)",
        ["Scheduler on standby: the server of {0} runs the jobs; this one takes over when its lease lapses."] = "Agendador em espera: o servidor de {0} executa as tarefas; este assume quando a concessão dele expirar.",
        ["Definitions"] = "Definições",
        ["loaded"] = "carregadas",
        ["reload failed"] = "recarga falhou",
        ["Tables"] = "Tabelas",
        ["Failing jobs"] = "Tarefas com falha",
        ["No job failed its last run."] = "Nenhuma tarefa falhou na última execução.",
        ["Runs in progress"] = "Execuções em andamento",
        ["Nothing runs now."] = "Nada em execução agora.",
        ["Job"] = "Tarefa",
        ["Schedule"] = "Agenda",
        ["Next runs"] = "Próximas execuções",
        ["Recent runs"] = "Execuções recentes",
        ["All"] = "Todas",
        ["State"] = "Estado",
        ["Actions"] = "Ações",
        ["paused"] = "pausada",
        ["active"] = "ativa",
        ["Pause"] = "Pausar",
        ["Unpause"] = "Retomar",
        ["Trigger"] = "Disparar",
        ["Trigger with variables"] = "Disparar com variáveis",
        ["Any classification"] = "Qualquer classificação",
        ["lineage"] = "linhagem",
        ["Column lineage"] = "Linhagem da coluna",
        ["Computed from"] = "Calculada a partir de",
        ["Feeds"] = "Alimenta",
        ["Zoom in"] = "Aproximar",
        ["Zoom out"] = "Afastar",
        ["Fit"] = "Ajustar",
        ["Drag to pan, scroll to zoom."] = "Arraste para mover, role para aproximar.",
        ["Highlight"] = "Destacar",
        ["Run the selected tables"] = "Executar as tabelas selecionadas",
        ["Selection"] = "Seleção",
        ["Select"] = "Selecionar",
        ["Clear"] = "Limpar",
        ["As medallion run --select reads it: silver.orders, silver.*, tag:daily, +model (with upstream), model+ (with downstream); separate several with spaces."] = "Como medallion run --select a lê: silver.orders, silver.*, tag:daily, +modelo (com o que vem antes), modelo+ (com o que vem depois); separe várias com espaços.",
        ["{0} tables selected."] = "{0} tabelas selecionadas.",
        ["Show internal tables"] = "Mostrar tabelas internas",
        ["Hide internal tables"] = "Ocultar tabelas internas",
        ["last run succeeded, fresh, rules pass"] = "última execução bem-sucedida, atualizada, regras cumpridas",
        ["stale (warn)"] = "desatualizada (aviso)",
        ["failed, stale or a rule broken"] = "falhou, desatualizada ou regra violada",
        ["not run yet"] = "ainda não executada",
        ["stale: older than its error limit of {0}"] = "desatualizada: mais antiga que seu limite de erro de {0}",
        ["stale: older than its warn limit of {0}"] = "desatualizada: mais antiga que seu limite de aviso de {0}",
        ["fresh"] = "atualizada",
        ["failing rules"] = "regras violadas",
        ["Rows over time"] = "Linhas ao longo do tempo",
        ["Size over time"] = "Tamanho ao longo do tempo",
        ["rows"] = "linhas",
        ["size"] = "tamanho",
        ["time of day, {0} (UTC)"] = "hora do dia, {0} (UTC)",
        ["date (UTC)"] = "data (UTC)",
        ["History"] = "Histórico",
        ["Tables past their freshness"] = "Tabelas desatualizadas",
        ["Every table with a freshness rule is fresh."] = "Toda tabela com regra de atualização está em dia.",
        ["No table has a freshness rule."] = "Nenhuma tabela tem regra de atualização.",
        ["Last commit"] = "Último commit",
        ["Age"] = "Idade",
        ["Limit"] = "Limite",
        ["never"] = "nunca",
        ["error after"] = "erro após",
        ["warn after"] = "aviso após",
        ["Quality rules broken in the last day"] = "Regras de qualidade violadas no último dia",
        ["No quality rule broke in the last day."] = "Nenhuma regra de qualidade foi violada no último dia.",
        ["Severity"] = "Severidade",
        ["Broken since"] = "Violada desde",
        ["Last run"] = "Última execução",
        ["warn"] = "aviso",
        ["fail"] = "falha",
        ["quarantine"] = "quarentena",
        ["Backfill"] = "Reprocessamento",
        ["From"] = "De",
        ["To"] = "Até",
        ["Reprocess"] = "Reprocessar",
        ["missing"] = "ausentes",
        ["all"] = "todos",
        ["At once"] = "Simultâneos",
        ["Start backfill"] = "Iniciar reprocessamento",
        ["Interval start"] = "Início do intervalo",
        ["Interval end"] = "Fim do intervalo",
        ["Last state"] = "Último estado",
        ["runs"] = "executa",
        ["kept"] = "mantido",
        ["intervals; to run:"] = "intervalos; a executar:",
        ["Backfills"] = "Reprocessamentos",
        ["Backfills of {0}"] = "Reprocessamentos de {0}",
        ["No backfill yet. An operator starts one from the Jobs page (Backfill) or with medallion backfill <job> --from <date> --to <date>."] = "Nenhum reprocessamento ainda. Um operador inicia um na página Tarefas (Reprocessamento) ou com medallion backfill <tarefa> --from <data> --to <data>.",
        ["Job {0} has no backfill."] = "A tarefa {0} não tem reprocessamento.",
        ["There is no backfill {0}."] = "Não há reprocessamento {0}.",
        ["Range"] = "Período",
        ["Progress"] = "Progresso",
        ["Started by"] = "Iniciado por",
        ["Requested"] = "Pedido em",
        ["Intervals"] = "Intervalos",
        ["Cancel backfill"] = "Cancelar reprocessamento",
        ["Every interval of the range had run already, so this backfill queued none."] = "Todos os intervalos do período já tinham sido executados, então este reprocessamento não enfileirou nenhum.",
        ["{0} of {1} intervals done: {2} succeeded, {3} failed, {4} cancelled, {5} kept (had run); {6} running, {7} queued."] = "{0} de {1} intervalos concluídos: {2} com sucesso, {3} com falha, {4} cancelados, {5} mantidos (já executados); {6} em execução, {7} na fila.",
        ["One name=value per line, read by the models as getvariable('name')"] = "Uma linha nome=valor por variável, lida pelos modelos com getvariable('nome')",
        ["Expected name=value on line"] = "Esperado nome=valor na linha",
        ["Variables"] = "Variáveis",
        ["no schedule"] = "sem agenda",
        ["Run"] = "Execução",
        ["Started"] = "Início",
        ["Finished"] = "Fim",
        ["Duration"] = "Duração",
        ["Status"] = "Situação",
        ["Trigger "] = "Gatilho ",
        ["Models"] = "Modelos",
        ["Model"] = "Modelo",
        ["Rows"] = "Linhas",
        ["Attempts"] = "Tentativas",
        ["Attempt"] = "Tentativa",
        ["Error"] = "Erro",
        ["Log"] = "Log",
        ["Cancel"] = "Cancelar",
        ["Rerun from failure"] = "Reexecutar a partir da falha",
        ["Retry"] = "Executar de novo",
        ["Re-run"] = "Reexecutar",
        ["New jobs file"] = "Novo arquivo de tarefas",
        ["Edit"] = "Editar",
        ["Edit {0}"] = "Editar {0}",
        ["defined in {0}"] = "definida em {0}",
        ["File"] = "Arquivo",
        ["Text"] = "Texto",
        ["Review"] = "Revisar",
        ["Defines:"] = "Define:",
        ["No line changes."] = "Nenhuma linha muda.",
        ["Only operators edit jobs."] = "Só operadores editam tarefas.",
        ["There is no jobs file {0}."] = "Não há arquivo de tarefas {0}.",
        ["The text changed since the review: review it again."] = "O texto mudou desde a revisão: revise de novo.",
        ["Saved, but the project did not reload:"] = "Salvo, mas o projeto não recarregou:",
        ["this file exists already: open it from the Jobs page to edit it."] = "este arquivo já existe: abra-o pela página de Tarefas para editá-lo.",
        ["Jobs are kept in the project's jobs/*.yml files. Review shows what the save would change, after checking the text as the server will load it; the save reloads the project."] = "As tarefas ficam nos arquivos jobs/*.yml do projeto. Revisar mostra o que salvar mudaria, depois de verificar o texto como o servidor o carregará; salvar recarrega o projeto.",
        ["This project has no jobs yet. A job runs models and sources: on a schedule, every few minutes, when new data lands, after another job, or only when triggered."] = "Este projeto ainda não tem tarefas. Uma tarefa executa modelos e fontes: numa agenda, a cada poucos minutos, quando chegam dados novos, depois de outra tarefa, ou só quando disparada.",
        ["Jobs are defined in the project's jobs/*.yml files (or under 'jobs:' in medallion.yml). The server loads them at start and again whenever a file changes. For example, jobs/nightly.yml:"] = "As tarefas são definidas nos arquivos jobs/*.yml do projeto (ou em 'jobs:' no medallion.yml). O servidor as carrega ao iniciar e de novo sempre que um arquivo muda. Por exemplo, jobs/nightly.yml:",
        ["Re-run with downstream"] = "Reexecutar com o que depende dela",
        ["Repeats"] = "Repete",
        ["After run"] = "Após a execução",
        ["Repeated by"] = "Repetida por",
        ["All jobs"] = "Todas as tarefas",
        ["not in this run"] = "fora desta execução",
        ["Runs of {0}"] = "Execuções de {0}",
        ["There is no job {0}."] = "Não há tarefa {0}.",
        ["Runs of the last jobs, newest on the right. A job's name opens its grid of tables × runs."] = "Execuções das tarefas, as mais novas à direita. O nome de uma tarefa abre sua grade de tabelas × execuções.",
        ["The last {0} runs of job {1}, oldest on the left; each row is a table the job builds. A cell opens the table on the run's page, where it can be re-run with or without its downstream."] = "As últimas {0} execuções da tarefa {1}, as mais antigas à esquerda; cada linha é uma tabela que a tarefa constrói. Uma célula abre a tabela na página da execução, onde ela pode ser reexecutada com ou sem o que depende dela.",
        ["Other runs"] = "Outras execuções",
        ["Search"] = "Buscar",
        ["Search tables, columns, descriptions, tags, owners"] = "Busque tabelas, colunas, descrições, tags, responsáveis",
        ["All layers"] = "Todas as camadas",
        ["All owners"] = "Todos os responsáveis",
        ["Table"] = "Tabela",
        ["Description"] = "Descrição",
        ["Owner"] = "Responsável",
        ["Tags"] = "Tags",
        ["Matches"] = "Correspondências",
        ["No table matches."] = "Nenhuma tabela corresponde.",
        ["Version"] = "Versão",
        ["Updated"] = "Atualizada",
        ["Schema"] = "Esquema",
        ["Column"] = "Coluna",
        ["Type"] = "Tipo",
        ["Classification"] = "Classificação",
        ["Versions"] = "Versões",
        ["Operation"] = "Operação",
        ["Preview"] = "Prévia",
        ["first 100 rows"] = "primeiras 100 linhas",
        ["Upstream"] = "Origem",
        ["Downstream"] = "Destino",
        ["none"] = "nenhuma",
        ["The table has not been built yet."] = "A tabela ainda não foi construída.",
        ["Quality"] = "Qualidade",
        ["Rule"] = "Regra",
        ["passed"] = "passou",
        ["broken"] = "quebrada",
        ["not checked"] = "não verificada",
        ["no new rows"] = "nenhuma linha nova",
        ["Run query"] = "Executar consulta",
        ["Download CSV"] = "Baixar CSV",
        ["Row limit"] = "Limite de linhas",
        ["Environment"] = "Ambiente",
        ["Show"] = "Mostrar",
        ["Location"] = "Local",
        ["as the project's files say"] = "como dizem os arquivos do projeto",
        ["Read-only: the same engine and rules as the SQL endpoint."] = "Somente leitura: o mesmo motor e as mesmas regras do endpoint SQL.",
        ["rows in"] = "linhas em",
        ["showing the first"] = "mostrando as primeiras",
        ["Query failed"] = "A consulta falhou",
        ["Tables, saved queries and history"] = "Tabelas, consultas salvas e histórico",
        ["Saved queries"] = "Consultas salvas",
        ["No saved query yet."] = "Nenhuma consulta salva ainda.",
        ["Queries you run appear here."] = "As consultas que você executar aparecem aqui.",
        ["Clear history"] = "Limpar histórico",
        ["Kept on the server: they follow you to any browser, and those you share every signed-in user can open."] = "Ficam no servidor: acompanham você em qualquer navegador, e as que você compartilha qualquer usuário conectado pode abrir.",
        ["History is kept in this browser only."] = "O histórico fica só neste navegador.",
        ["Share with everyone"] = "Compartilhar com todos",
        ["by"] = "por",
        ["shared"] = "compartilhada",
        ["The saved queries could not be read:"] = "As consultas salvas não puderam ser lidas:",
        ["Not saved:"] = "Não foi salva:",
        ["Not deleted:"] = "Não foi excluída:",
        ["A query saved in this browser could not be moved to the server:"] = "Uma consulta salva neste navegador não pôde ser levada ao servidor:",
        ["this browser"] = "este navegador",
        ["Opened"] = "Aberta",
        ["Delete"] = "Excluir",
        ["Run again"] = "Executar de novo",
        ["Completions"] = "Sugestões",
        ["Ctrl+Enter runs the query. Ctrl+Space completes table and column names; Tab or Enter accepts, Esc closes."] = "Ctrl+Enter executa a consulta. Ctrl+Espaço completa nomes de tabelas e colunas; Tab ou Enter aceita, Esc fecha.",
        ["Name of the saved query"] = "Nome da consulta salva",
        ["Give the query a name to save it."] = "Dê um nome à consulta para salvá-la.",
        ["Saved"] = "Salva",
        ["Save query"] = "Salvar consulta",
        ["Filter tables"] = "Filtrar tabelas",
        ["masked"] = "mascarada",
        ["loading…"] = "carregando…",
        ["The columns could not be read."] = "Não foi possível ler as colunas.",
        ["No table you may read."] = "Nenhuma tabela que você possa ler.",
        ["Show columns of"] = "Mostrar colunas de",
        ["Insert at the cursor"] = "Inserir no cursor",
        ["Chart"] = "Gráfico",
        ["Bars"] = "Barras",
        ["Line"] = "Linha",
        ["Partitions"] = "Partições",
        ["Definition"] = "Definição",
        ["Kind"] = "Tipo",
        ["signed in as"] = "conectado como",
        ["operator"] = "operador",
        ["viewer"] = "leitor",
        ["Not found"] = "Não encontrado",
        ["Page not found."] = "Página não encontrada.",
        ["waiting for log lines…"] = "aguardando linhas de log…",
        ["Run succeeded"] = "Execução concluída com sucesso",
        ["Run failed"] = "A execução falhou",
        ["Run cancelled"] = "Execução cancelada",
        ["Run interrupted"] = "Execução interrompida",
        ["Timeline"] = "Linha do tempo",
        ["starts at +{0}, takes {1}"] = "começa em +{0}, leva {1}",
        ["not run"] = "não executado",
        ["the run's error, above"] = "o erro da execução, acima",
        ["Filter the log"] = "Filtrar o log",
        ["All models"] = "Todos os modelos",
        ["The run itself"] = "A própria execução",
        ["Level"] = "Nível",
        ["All levels"] = "Todos os níveis",
        ["Warnings and errors"] = "Avisos e erros",
        ["Errors"] = "Erros",
        ["lines hidden by the filters:"] = "linhas ocultas pelos filtros:",
        ["every day at {0}"] = "todo dia às {0}",
        ["every hour at minute {0}"] = "toda hora no minuto {0}",
        ["every {0} minutes"] = "a cada {0} minutos",
        ["every minute"] = "a cada minuto",
        ["every {0} on {1} at {2}"] = "toda {1} às {2}",
        ["on day {0} of every month at {1}"] = "no dia {0} de cada mês às {1}",
        ["every {0}"] = "a cada {0}",
        ["cron {0}"] = "cron {0}",
        ["({0} time)"] = "(horário {0})",
        ["queued"] = "na fila",
        ["succeeded"] = "sucesso",
        ["failed"] = "falhou",
        ["cancelled"] = "cancelada",
        ["skipped"] = "pulada",
        ["interrupted"] = "interrompida",
        ["Namespace"] = "Namespace",
        ["matched in"] = "encontrado em",
        ["name"] = "nome",
        ["column"] = "coluna",
        ["description"] = "descrição",
        ["tag"] = "tag",
        ["owner"] = "responsável",
        ["Your role does not allow this action."] = "Seu papel não permite esta ação.",
        ["The form expired; reload the page and try again."] = "O formulário expirou; recarregue a página e tente de novo.",
        ["Runs without a job"] = "Execuções sem tarefa",
        ["run"] = "execução",
        ["Select a table to highlight what it is computed from and what is computed from it."] = "Selecione uma tabela para destacar de onde ela vem e o que é calculado a partir dela.",
        ["edges"] = "ligações",
        ["Open"] = "Abrir",
        ["Sources"] = "Fontes",
        ["Source"] = "Fonte",
        ["Mode"] = "Modo",
        ["Last pass"] = "Última passagem",
        ["Position"] = "Posição",
        ["Slot lag"] = "Atraso do slot",
        ["Last error"] = "Último erro",
        ["never ran"] = "nunca executou",
        ["No source to show."] = "Nenhuma fonte a mostrar.",
        ["files: {0}"] = "arquivos: {0}",
        ["file"] = "arquivo",
        ["database"] = "banco de dados",
        ["api"] = "API",
        ["kafka"] = "Kafka",
        ["endpoint"] = "endpoint",
        ["full"] = "completa",
        ["incremental"] = "incremental",
        ["cdc"] = "CDC",
        ["model"] = "modelo",
        ["source"] = "fonte",
        ["manual"] = "manual",
        ["schedule"] = "agenda",
        ["backfill"] = "reprocessamento",
        ["data"] = "dados novos",
        ["after"] = "após outra tarefa",
        ["continuous"] = "contínua",
        ["other"] = "outra",
        ["INFO"] = "INFO",
        ["WARNING"] = "AVISO",
        ["ERROR"] = "ERRO",
        ["main"] = "principal",
        ["Layer"] = "Camada",
        ["Tag"] = "Tag",
        ["Admin"] = "Administração",
        ["Administration"] = "Administração",
        ["Only an admin manages users, roles, grants and tokens."] = "Só um administrador gerencia usuários, papéis, permissões e tokens.",
        ["Changes here are made through the REST API's admin endpoints and audited like them."] = "As mudanças feitas aqui passam pelos endpoints de administração da API REST e são auditadas como elas.",
        ["Sections"] = "Seções",
        ["Users"] = "Usuários",
        ["Roles"] = "Papéis",
        ["Role"] = "Papel",
        ["Grants"] = "Permissões",
        ["Grant"] = "Conceder",
        ["Grantee"] = "Para quem",
        ["Masks"] = "Máscaras",
        ["Row filters"] = "Filtros de linhas",
        ["Tokens"] = "Tokens",
        ["Token"] = "Token",
        ["Not done:"] = "Não foi feito:",
        ["Server role"] = "Papel no servidor",
        ["Server role of"] = "Papel no servidor de",
        ["Added"] = "Criado em",
        ["admin"] = "administrador",
        ["you"] = "você",
        ["Delete user {0}, with their grants and tokens?"] = "Excluir o usuário {0}, com suas permissões e tokens?",
        ["Delete user {0}"] = "Excluir o usuário {0}",
        ["Add a user"] = "Adicionar um usuário",
        ["Add user"] = "Adicionar usuário",
        ["There is already a user {0}: the API would change their password. Pick another name."] = "Já existe o usuário {0}: a API trocaria a senha dele. Escolha outro nome.",
        ["no role"] = "nenhum papel",
        ["No role yet."] = "Nenhum papel ainda.",
        ["Members"] = "Membros",
        ["Declared in"] = "Declarado em",
        ["Remove"] = "Remover",
        ["Remove {0} from role {1}?"] = "Remover {0} do papel {1}?",
        ["Remove {0} from role {1}"] = "Remover {0} do papel {1}",
        ["Drop"] = "Excluir",
        ["Drop role {0}, with its grants and memberships?"] = "Excluir o papel {0}, com suas permissões e membros?",
        ["Drop role {0}"] = "Excluir o papel {0}",
        ["Create role"] = "Criar papel",
        ["Add to role"] = "Adicionar ao papel",
        ["No grant yet: only admins read tables."] = "Nenhuma permissão ainda: só administradores leem tabelas.",
        ["role"] = "papel",
        ["user"] = "usuário",
        ["Revoke"] = "Revogar",
        ["Revoke {0} from {1}?"] = "Revogar {0} de {1}?",
        ["Revoke {0} from {1}"] = "Revogar {0} de {1}",
        ["Privilege"] = "Privilégio",
        ["On"] = "Sobre",
        ["namespace, table, classification or server"] = "namespace, tabela, classificação ou server",
        ["user or role"] = "usuário ou papel",
        ["A classified column whose classification has no policy is masked with a keyed hash for users without unmask on it."] = "Uma coluna classificada cuja classificação não tem política é mascarada com um hash com chave para quem não tem unmask nela.",
        ["Policy"] = "Política",
        ["hash, partial, null or SQL with {column}"] = "hash, partial, null ou SQL com {column}",
        ["Set mask"] = "Definir máscara",
        ["Condition"] = "Condição",
        ["Set row filter"] = "Definir filtro de linhas",
        ["A token acts as its user on the REST API, sent as Authorization: Bearer."] = "Um token age como seu usuário na API REST, enviado como Authorization: Bearer.",
        ["No token yet."] = "Nenhum token ainda.",
        ["Created"] = "Criado",
        ["Last used"] = "Último uso",
        ["Expires"] = "Expira",
        ["revoked"] = "revogado",
        ["Revoke token {0} of {1}? It stops working at once."] = "Revogar o token {0} de {1}? Ele deixa de funcionar na hora.",
        ["Revoke token {0}"] = "Revogar o token {0}",
        ["Expires after"] = "Expira em",
        ["{0} days"] = "{0} dias",
        ["Create token"] = "Criar token",
        ["Copy the token now: it is not shown again."] = "Copie o token agora: ele não será mostrado de novo.",
        ["Copy"] = "Copiar",
        ["Copied"] = "Copiado",
        ["Done"] = "Concluído",
        ["There is no table '{0}'."] = "Não existe a tabela '{0}'.",
        ["There is no run {0}."] = "Não existe a execução {0}.",
        ["tags"] = "tags",
        ["edited by {0} on"] = "editado por {0} em",
        ["project files"] = "arquivos do projeto",
        ["Revert"] = "Reverter",
        ["Edit docs"] = "Editar documentação",
        ["edit"] = "editar",
        ["Save"] = "Salvar",
        ["Nothing changed."] = "Nada mudou.",
        ["separated by commas"] = "separadas por vírgulas",
        ["Edits are kept in the catalog over the project files; empty a field to go back to the files' value."] = "As edições ficam no catálogo, sobre os arquivos do projeto; esvazie um campo para voltar ao valor dos arquivos.",
        ["Docs history"] = "Histórico da documentação",
        ["back to the project files"] = "de volta aos arquivos do projeto",
        ["reads"] = "lê",
        ["As written"] = "Como escrito",
        ["As compiled"] = "Como compilado",
        ["what a run hands DuckDB"] = "o que uma execução entrega ao DuckDB",
        ["Each upstream view reads its table's latest snapshot, or only its new rows in an incremental build."] = "Cada view de origem lê o snapshot mais recente da sua tabela, ou só as linhas novas num build incremental.",
        ["No job builds this table; it is built when its model is run by hand."] = "Nenhuma tarefa constrói esta tabela; ela é construída quando seu modelo é executado manualmente.",
        ["Freshness and volume"] = "Atualidade e volume",
        ["Last load"] = "Última carga",
        ["Rows added per load"] = "Linhas adicionadas por carga",
        ["Anomalies"] = "Anomalias",
        ["No anomaly: loads keep to their usual volume and rhythm."] = "Nenhuma anomalia: as cargas mantêm o volume e o ritmo habituais.",
        ["Volume drop at version {0}: {1} rows, expected about {2}"] = "Queda de volume na versão {0}: {1} linhas, esperado cerca de {2}",
        ["Volume spike at version {0}: {1} rows, expected about {2}"] = "Pico de volume na versão {0}: {1} linhas, esperado cerca de {2}",
        ["Late: no load for {0}, usually about {1}"] = "Atrasada: sem carga há {0}, normalmente cerca de {1}",
        ["Late load at version {0}: {1} after the previous one, usually about {2}"] = "Carga atrasada na versão {0}: {1} após a anterior, normalmente cerca de {2}",
        ["Who may read"] = "Quem pode ler",
        ["Shown to admins only."] = "Mostrado só a administradores.",
        ["Columns"] = "Colunas",
        ["Masked"] = "Mascaradas",
        ["Row filter"] = "Filtro de linhas",
        ["everything"] = "tudo",
        ["all columns"] = "todas as colunas",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>
    /// The messages the platform composes for runs (log lines, why a step or run did not finish), as patterns of their
    /// English with the Portuguese to write instead: <c>{1}</c>... stand for the pattern's groups, each translated in turn
    /// (a word of the dictionary, or a message of its own: the reason of a skipped step). A message no pattern matches
    /// (a model's own error, DuckDB's) is shown as it is. The patterns are JavaScript's as well (the run log is written by
    /// the page's script), so they use only what both languages read alike.
    /// </summary>
    private static readonly (string Pattern, string Portuguese)[] s_portugueseMessages =
    [
        (@"^attempt (\d+) started$", "tentativa {1} iniciada"),
        (@"^Selection '([^']*)': no model or source is named '([^']*)'\. Did you mean ([^?]*)\?\nHelp: select with model names \(silver\.orders\), namespaces \(silver\.\*\), tags \(tag:daily\), and \+ for upstream/downstream\.$",
            "Seleção '{1}': nenhum modelo ou fonte se chama '{2}'. Você quis dizer {3}?\nAjuda: selecione por nomes de modelos (silver.orders), namespaces (silver.*), tags (tag:daily) e + para incluir o que vem antes ou depois."),
        (@"^Selection '([^']*)': no model or source is named '([^']*)'\.\nHelp: select with model names \(silver\.orders\), namespaces \(silver\.\*\), tags \(tag:daily\), and \+ for upstream/downstream\.$",
            "Seleção '{1}': nenhum modelo ou fonte se chama '{2}'.\nAjuda: selecione por nomes de modelos (silver.orders), namespaces (silver.*), tags (tag:daily) e + para incluir o que vem antes ou depois."),
        (@"^attempt (\d+) failed \(([^)]*)\): ([\s\S]*)$", "tentativa {1} falhou ({2}): {3}"),
        (@"^attempt (\d+) failed transiently; retrying in ([\d.]+)s: ([\s\S]*)$", "tentativa {1} falhou de forma passageira; nova tentativa em {2} s: {3}"),
        (@"^attempt (\d+) failed; restarting in ([\d.]+)s: ([\s\S]*)$", "tentativa {1} falhou; reinício em {2} s: {3}"),
        (@"^(model|source) (\S+) started$", "{1} {2}: etapa iniciada"),
        (@"^(model|source) (\S+) succeeded: (\d+) rows, version (\d+), (\d+) ms$", "{1} {2}: etapa concluída, {3} linhas, versão {4}, {5} ms"),
        (@"^(model|source) (\S+) succeeded: (\d+) rows, nothing committed, (\d+) ms$", "{1} {2}: etapa concluída, {3} linhas, nada gravado, {4} ms"),
        (@"^(model|source) (\S+) failed: ([\s\S]*)$", "{1} {2}: etapa falhou: {3}"),
        (@"^(model|source) (\S+) skipped: ([\s\S]*)$", "{1} {2}: etapa pulada: {3}"),
        (@"^(model|source) (\S+) cancelled: ([\s\S]*)$", "{1} {2}: etapa cancelada: {3}"),
        (@"^not run: the run was cancelled$", "não executada: a execução foi cancelada"),
        (@"^not run: (\S+) (failed|skipped|cancelled)$", "não executada: {1} {2}"),
        (@"^run succeeded$", "execução concluída com sucesso"),
        (@"^run (failed|cancelled)$", "execução {1}"),
        (@"^run failed: ([\s\S]*)$", "execução falhou: {1}"),
        (@"^run cancelled: ([\s\S]*)$", "execução cancelada: {1}"),
        (@"^cancelled before it started$", "cancelada antes de começar"),
        (@"^cancelled with backfill (\S+) before it started$", "cancelada com o reprocessamento {1} antes de começar"),
        (@"^queued by a trigger$", "na fila por um disparo"),
        (@"^queued by the schedule for the interval (\S+) to (\S+)$", "na fila pela agenda para o intervalo de {1} a {2}"),
        (@"^queued by backfill (\S+) for the interval (\S+) to (\S+)$", "na fila pelo reprocessamento {1} para o intervalo de {2} a {3}"),
        (@"^queued: new data \(a watched table has a new version, or a watched file source has new files\)$", "na fila: dados novos (uma tabela observada tem versão nova, ou uma fonte de arquivos observada tem arquivos novos)"),
        (@"^queued: run (\S+) of job '(.+)', which this job runs after, succeeded$", "na fila: a execução {1} da tarefa '{2}', que esta tarefa segue, terminou com sucesso"),
        (@"^queued to re-run (.+) of run (\S+)$", "na fila para reexecutar {1} da execução {2}"),
        (@"^queued to build the selection (.+)$", "na fila para construir a seleção {1}"),
        (@"^no scheduler runs a run recorded by 'medallion run'$", "nenhum agendador executa uma execução registrada por 'medallion run'"),
        (@"^handed back by a worker that stopped before the run finished; another worker takes it over$", "devolvida por um executor que parou antes do fim da execução; outro executor a assume"),
    ];

    private static readonly (System.Text.RegularExpressions.Regex Pattern, string Portuguese)[] s_portugueseMessageRegexes =
        [.. s_portugueseMessages.Select(m => (new System.Text.RegularExpressions.Regex(m.Pattern, System.Text.RegularExpressions.RegexOptions.CultureInvariant), m.Portuguese))];

    /// <summary>
    /// A message the platform composed (a run's log line, error or note) in <paramref name="language"/>: its fixed words
    /// translated, the names and errors it quotes as they are.
    /// </summary>
    public static string TranslateMessage(string? message, string language)
    {
        if (message is null || language != Portuguese)
        {
            return message ?? string.Empty;
        }

        if (s_portuguese.TryGetValue(message, out string? word))
        {
            return word;
        }

        foreach ((System.Text.RegularExpressions.Regex pattern, string portuguese) in s_portugueseMessageRegexes)
        {
            if (pattern.Match(message) is { Success: true } match)
            {
                return System.Text.RegularExpressions.Regex.Replace(portuguese, @"\{(\d)\}", hole =>
                {
                    return TranslateMessage(match.Groups[hole.Groups[1].Value[0] - '0'].Value, language);
                });
            }
        }

        return message;
    }

    /// <summary>
    /// What the run log's script needs to translate the lines it receives: the message patterns and the words their
    /// groups may hold, as JSON (empty in English, where the lines are shown as written).
    /// </summary>
    public static string MessagesJson(string language) => language != Portuguese
        ? "{}"
        : System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["patterns"] = s_portugueseMessages.Select(m => new[] { m.Pattern, m.Portuguese }).ToArray(),
            ["words"] = s_portuguese.ToDictionary(StringComparer.Ordinal),
        });

    /// <summary>The English texts whose Portuguese differs: what a page in Portuguese must not show.</summary>
    internal static IEnumerable<string> TranslatedEnglish => s_portuguese.Where(p => p.Key != p.Value).Select(p => p.Key);

    /// <summary>The phrase in <paramref name="language"/> (the English phrase itself when it has no translation).</summary>
    public static string Translate(string english, string language) =>
        language == Portuguese && s_portuguese.TryGetValue(english, out string? portuguese) ? portuguese : english;

    /// <summary>The UI language for this request.</summary>
    public static string LanguageOf(HttpRequest request)
    {
        if (request.Cookies.TryGetValue(LanguageCookie, out string? chosen) && Normalize(chosen) is { } known)
        {
            return known;
        }

        if (StringWithQualityHeaderValue.TryParseList(request.Headers.AcceptLanguage, out IList<StringWithQualityHeaderValue>? accepted))
        {
            foreach (StringWithQualityHeaderValue value in accepted.OrderByDescending(v => v.Quality ?? 1))
            {
                if (Normalize(value.Value.Value) is { } language)
                {
                    return language;
                }
            }
        }

        return English;
    }

    /// <summary>A language the UI speaks for a language tag (<c>pt</c>, <c>pt-PT</c> and <c>pt-BR</c> all get Brazilian Portuguese), or null.</summary>
    public static string? Normalize(string? tag) =>
        tag is null ? null
        : tag.StartsWith("pt", StringComparison.OrdinalIgnoreCase) ? Portuguese
        : tag.StartsWith("en", StringComparison.OrdinalIgnoreCase) ? English
        : null;

    public static CultureInfo CultureOf(string language) => CultureInfo.GetCultureInfo(language == Portuguese ? "pt-BR" : "en-US");
}
