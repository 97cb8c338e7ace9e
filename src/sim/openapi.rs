//! The gateway contract as OpenAPI, generated from the simulator's routes and
//! served at `/openapi.json`, so gateway teams can build against it.

use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{RefOr, Server};
use utoipa::{OpenApi, PartialSchema, ToSchema};

use serde_json::{Value, json};

use super::routes;
use crate::wire::{self, ErrorBody};

/// One step of a list or next-step answer.
#[derive(ToSchema)]
#[schema(as = Step)]
#[allow(dead_code)] // read by the schema only
pub struct StepDoc {
    /// The SDK's step name: trusterPhoneNumber, deviceActivation, mediumCarKey, or one
    /// a client does not know (shown raw). `trustedPhone` is an older spelling of the first.
    #[schema(example = "deviceActivation")]
    name: String,
    /// `todo` or `alreadyDone`; anything else is never done.
    #[schema(example = "todo")]
    status: String,
    /// Steps are done in ascending order; JSON member order means nothing.
    #[schema(example = 2)]
    order: i64,
}

/// A scenario's association with the truth of its steps (simulator only).
#[derive(ToSchema)]
#[schema(as = Association)]
#[allow(dead_code)] // read by the schema only
pub struct AssociationDoc {
    #[schema(rename = "carAssociationID", example = "987654")]
    car_association_id: String,
    label: String,
    steps: Vec<TruthStepDoc>,
}

#[derive(ToSchema)]
#[schema(as = TruthStep)]
#[allow(dead_code)] // read by the schema only
pub struct TruthStepDoc {
    name: String,
    order: i64,
    done: bool,
}

/// `stepsID` plus one member per step, keyed by step name.
pub struct StepsListDoc;

impl PartialSchema for StepsListDoc {
    fn schema() -> RefOr<Schema> {
        let steps_id = OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::Integer))
            .item(ObjectBuilder::new().schema_type(Type::String))
            .description(Some(
                "Refreshes and next-step calls use it; bound to the device that obtained it.",
            ));
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "Every member other than stepsID whose value is an object is a step.",
            ))
            .property("stepsID", steps_id)
            .required("stepsID")
            .additional_properties(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name("Step"))))
            .examples([serde_json::json!({
                "stepsID": 132324,
                "trusterPhoneNumber": {"name": "trusterPhoneNumber", "status": "alreadyDone", "order": 1},
                "deviceActivation": {"name": "deviceActivation", "status": "todo", "order": 2},
                "mediumCarKey": {"name": "mediumCarKey", "status": "todo", "order": 3}
            })])
            .into()
    }
}

impl ToSchema for StepsListDoc {
    fn name() -> std::borrow::Cow<'static, str> {
        "StepsList".into()
    }
}

/// One member, the next step, or `null` when nothing is left.
pub struct NextStepDoc;

impl PartialSchema for NextStepDoc {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                Type::Object,
                Type::Null,
            ]))
            .description(Some(
                "The next step under its name (its order is 1), or null when no step is left.",
            ))
            .additional_properties(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                "Step",
            ))))
            .max_properties(Some(1))
            .into()
    }
}

impl ToSchema for NextStepDoc {
    fn name() -> std::borrow::Cow<'static, str> {
        "NextStep".into()
    }
}

/// A list of associations (simulator only).
pub struct AssociationsDoc;

impl PartialSchema for AssociationsDoc {
    fn schema() -> RefOr<Schema> {
        ArrayBuilder::new()
            .items(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                "Association",
            )))
            .into()
    }
}

impl ToSchema for AssociationsDoc {
    fn name() -> std::borrow::Cow<'static, str> {
        "Associations".into()
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "stepwise steps gateway",
        description = "The service activation steps of a connected vehicle over HTTP/JSON \
            (pims.subscription.steps and pims.subscription.step), as the stepwise client and \
            simulator speak them. Every request carries X-Device-Id; Authorization: Bearer \
            <token> when the gateway needs one. /sim/ calls exist only on the simulator.",
        license(name = "MIT OR Apache-2.0")
    ),
    paths(
        routes::list,
        routes::next,
        super::events::events,
        routes::associations,
        routes::complete,
        routes::revoke,
        routes::guidance_page,
        super::auth::resource_metadata
    ),
    components(schemas(
        StepDoc,
        ErrorBody,
        AssociationDoc,
        TruthStepDoc,
        StepsListDoc,
        NextStepDoc,
        AssociationsDoc
    ))
)]
struct ApiDoc;

/// The address the checked-in document names: the simulator's default.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

/// The OpenAPI document, as pretty JSON with a trailing newline, naming the
/// simulator's default address (the copy in `docs/openapi.json`).
pub fn openapi_json() -> String {
    openapi_json_at(DEFAULT_SERVER)
}

/// The document naming `server` (`http://HOST:PORT`) as the one address:
/// what a running simulator serves, the address it was asked at.
pub fn openapi_json_at(server: &str) -> String {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.servers = Some(vec![Server::new(server)]);
    let mut doc = serde_json::to_value(&doc).expect("the document serialises");
    enforce(&mut doc);
    serde_json::to_string_pretty(&doc).expect("the document serialises") + "\n"
}

/// What the derive macros cannot say, said on the generated document: the
/// id rule and the device header's rule, the bearer scheme, strict booleans
/// and statuses, examples that reach real lists, each live event's shape,
/// and links that feed one answer into the next call.
fn enforce(doc: &mut Value) {
    add_schemas(&mut doc["components"]);
    let paths = &mut doc["paths"];
    list_call(&mut paths["/pims/subscription/steps"]["get"]);
    events_call(&mut paths["/pims/subscription/steps/events"]["get"]);
    next_call(&mut paths["/pims/subscription/step"]["get"]);
    sim_calls(paths);
    // The gateway may ask for a bearer token; the simulator does only with
    // --token or --auth device, so a call without one is documented too.
    for (path, method) in [
        ("/pims/subscription/steps", "get"),
        ("/pims/subscription/steps/events", "get"),
        ("/pims/subscription/step", "get"),
        ("/sim/associations", "get"),
        ("/sim/associations/{car}/steps/{name}/complete", "post"),
        ("/sim/associations/{car}/steps/{name}/revoke", "post"),
    ] {
        paths[path][method]["security"] = json!([{}, {"bearer": []}]);
    }
}

fn id() -> Value {
    json!({"$ref": "#/components/schemas/Id"})
}

fn device() -> Value {
    json!({
        "name": wire::DEVICE_HEADER,
        "in": "header",
        "description": "Stable id of the calling device; a stepsID is bound to the device that obtained it",
        "required": true,
        "schema": {"$ref": "#/components/schemas/DeviceId"},
        "example": "3f2b6c1e-device"
    })
}

/// The id and device rules, one live event, and the bearer scheme.
fn add_schemas(components: &mut Value) {
    let schemas = &mut components["schemas"];
    schemas["Id"] = json!({
        "type": "string",
        "minLength": 1,
        "maxLength": crate::steps::MAX_ID_CHARS,
        "pattern": wire::ID_PATTERN,
        "description": "A carAssociationID or stepsID: 1 to 64 ASCII letters, digits, - or _.",
        "example": "987654"
    });
    schemas["DeviceId"] = json!({
        "type": "string",
        "minLength": 1,
        "maxLength": wire::DEVICE_ID_MAX_LEN,
        "pattern": wire::DEVICE_ID_PATTERN,
        "description": "An opaque id of the calling device: 1 to 128 visible ASCII characters, no spaces.",
        "example": "3f2b6c1e-device"
    });
    schemas["StepsEvent"] = json!({
        "type": "object",
        "description": "One server-sent event of the stream: `event: steps`, an `id` that increases over every stream of the gateway, and `data`, one list as the list call answers it (JSON text of a StepsList). Comment lines (keep-alives) are no events.",
        "properties": {
            "event": {"type": "string", "const": "steps"},
            "id": {"type": "string", "pattern": "^[0-9]+$"},
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": {"$ref": "#/components/schemas/StepsList"}
            },
            "retry": {"type": "integer", "minimum": 0}
        },
        "required": ["event", "id", "data"]
    });
    components["securitySchemes"] = json!({
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "A token of the gateway's identity provider (stepwise login), when the gateway asks for one"
        }
    });
}

/// The list: by carAssociationID or by stepsID (exactly one), reset and
/// status filter; a link to the next step.
fn list_call(list: &mut Value) {
    let lookup = |name: &str, description: &str, examples: Value| {
        let mut parameter = json!({
            "name": name,
            "in": "query",
            "required": false,
            "description": description,
            "schema": id()
        });
        if examples.as_object().is_some_and(|e| !e.is_empty()) {
            parameter["examples"] = examples;
        }
        parameter
    };
    list["parameters"] = json!([
        lookup(
            wire::CAR_PARAM,
            "The first list on a device, by carAssociationID. Give exactly one of carAssociationID and stepsID: both or neither is a 400",
            json!({
                "documentation": {"summary": "The documentation's car", "value": "987654"},
                "newCustomer": {"summary": "A new customer", "value": "111111"},
                "ready": {"summary": "A ready service", "value": "222222"},
                "staleCache": {"summary": "A stale cache", "value": "333333"}
            })
        ),
        lookup(
            wire::STEPS_ID_PARAM,
            "Later lists, by the stepsID of the first (bound to the device that obtained it). Give exactly one of carAssociationID and stepsID: both or neither is a 400",
            json!({})
        ),
        {
            "name": wire::RESET_PARAM,
            "in": "query",
            "required": false,
            "description": "Wipe the steps cache first (cures app errors 2312/2317): true or false, default false",
            "schema": {"type": "boolean", "default": false},
            "example": false
        },
        {
            "name": wire::STATUS_PARAM,
            "in": "query",
            "required": false,
            "description": "Only the steps with this status; default all",
            "schema": {"type": "string", "enum": ["todo", "alreadyDone", "all"], "default": "all"},
            "example": "all"
        },
        device()
    ]);
    list["responses"]["200"]["links"] = json!({
        "NextStep": {
            "operationId": "next",
            "description": "The next step of the list just obtained, asked by the same device",
            "parameters": {
                (wire::STEPS_ID_PARAM): "$response.body#/stepsID",
                (format!("header.{}", wire::DEVICE_HEADER)): format!("$request.header.{}", wire::DEVICE_HEADER)
            }
        }
    });
}

/// The event stream: its stepsIDs, `Last-Event-ID`, and each event's shape
/// (the schema of a `text/event-stream` answer is that of one event, as
/// OpenAPI 3.2's `itemSchema` says it).
fn events_call(events: &mut Value) {
    events["parameters"] = json!([
        {
            "name": wire::STEPS_ID_PARAM,
            "in": "query",
            "required": true,
            "style": "form",
            "explode": true,
            "description": "The lists to follow: 1 to 200 stepsIDs this device obtained, the parameter repeated",
            "schema": {"type": "array", "items": id(), "minItems": 1, "maxItems": wire::MAX_STREAM_IDS},
            "example": ["132324"]
        },
        {
            "name": wire::LAST_EVENT_ID_HEADER,
            "in": "header",
            "required": false,
            "description": "The id of the last event seen, on a reconnect",
            "schema": {"type": "string"},
            "example": "1"
        },
        device()
    ]);
    events["responses"]["200"]["content"]["text/event-stream"]["schema"] =
        json!({"$ref": "#/components/schemas/StepsEvent"});
}

fn next_call(next: &mut Value) {
    next["parameters"] = json!([
        {
            "name": wire::STEPS_ID_PARAM,
            "in": "query",
            "required": true,
            "description": "The stepsID of a list this device obtained",
            "schema": id(),
            "example": "132324"
        },
        device()
    ]);
}

/// The simulator's controls: complete and revoke, each linked to the other.
fn sim_calls(paths: &mut Value) {
    for (action, other) in [("complete", "revoke"), ("revoke", "complete")] {
        let path = format!("/sim/associations/{{car}}/steps/{{name}}/{action}");
        let call = &mut paths[path.as_str()]["post"];
        call["parameters"] = json!([
            {
                "name": "car",
                "in": "path",
                "required": true,
                "description": "carAssociationID",
                "schema": id(),
                "example": "987654"
            },
            {
                "name": "name",
                "in": "path",
                "required": true,
                "description": "Step name",
                "schema": {"type": "string", "minLength": 1},
                "example": "deviceActivation"
            }
        ]);
        call["responses"]["200"]["links"] = json!({
            "Undo": {
                "operationId": other,
                "description": "The same step of the same association, the other way",
                "parameters": {"path.car": "$request.path.car", "path.name": "$request.path.name"}
            }
        });
    }
}
