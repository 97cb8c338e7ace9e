//! The gateway contract as OpenAPI, generated from the simulator's routes and
//! served at `/openapi.json`, so gateway teams can build against it.

use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{RefOr, Server};
use utoipa::{OpenApi, PartialSchema, ToSchema};

use super::routes;

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

/// The body of every failed call.
#[derive(ToSchema)]
#[schema(as = Error)]
#[allow(dead_code)] // read by the schema only
pub struct ErrorDoc {
    /// The SDK's code where there is one, e.g. 2346 "no step for this stepsID".
    code: Option<i64>,
    message: String,
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
        routes::revoke
    ),
    components(schemas(
        StepDoc,
        ErrorDoc,
        AssociationDoc,
        TruthStepDoc,
        StepsListDoc,
        NextStepDoc,
        AssociationsDoc
    ))
)]
struct ApiDoc;

/// The OpenAPI document, as pretty JSON with a trailing newline.
pub fn openapi_json() -> String {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.servers = Some(vec![Server::new("http://127.0.0.1:8080")]);
    doc.to_pretty_json().expect("the document serialises") + "\n"
}
