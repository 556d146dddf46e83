//! Browser-side file upload with a progress bar: the file is sent straight
//! to the artifact API (`PUT /api/v1/artifacts/{type}/{id}/{blob}`) as the
//! request body, streamed by the browser, with the session's CSRF token in
//! `X-CSRF-Token`. Without JavaScript the same form posts multipart to the
//! site, which streams it into the same service.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{File, HtmlInputElement, ProgressEvent, XmlHttpRequest};

/// What the form shows while and after uploading.
#[derive(Clone, Copy)]
pub struct UploadState {
    /// Percent sent, while uploading.
    pub progress: RwSignal<Option<f64>>,
    pub message: RwSignal<String>,
    pub busy: RwSignal<bool>,
}

impl Default for UploadState {
    fn default() -> Self {
        Self::new()
    }
}

impl UploadState {
    pub fn new() -> UploadState {
        UploadState {
            progress: RwSignal::new(None),
            message: RwSignal::new(String::new()),
            busy: RwSignal::new(false),
        }
    }
}

fn error_message(xhr: &XmlHttpRequest) -> String {
    let status = xhr.status().unwrap_or(0);
    let text = xhr.response_text().ok().flatten().unwrap_or_default();
    let parsed = js_sys::JSON::parse(&text).ok().and_then(|v| {
        let e = js_sys::Reflect::get(&v, &"error".into()).ok()?;
        js_sys::Reflect::get(&e, &"message".into())
            .ok()?
            .as_string()
    });
    match parsed {
        Some(m) => format!("Upload failed ({status}): {m}"),
        None if status == 0 => "Upload failed: the connection broke off.".to_owned(),
        None => format!("Upload failed ({status})."),
    }
}

/// Sends `file` to `url` and reloads the page when it is stored.
pub fn send(file: File, url: String, csrf: String, state: UploadState) {
    let Ok(xhr) = XmlHttpRequest::new() else {
        state
            .message
            .set("This browser cannot upload from here.".to_owned());
        return;
    };
    if xhr.open("PUT", &url).is_err() {
        state
            .message
            .set("Upload failed: the address is invalid.".to_owned());
        return;
    }
    let content_type = if file.type_().is_empty() {
        "application/octet-stream".to_owned()
    } else {
        file.type_()
    };
    let _ = xhr.set_request_header("Content-Type", &content_type);
    let _ = xhr.set_request_header("X-CSRF-Token", &csrf);
    let _ = xhr.set_request_header("Accept", "application/json");

    let on_progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |e: ProgressEvent| {
        if e.length_computable() && e.total() > 0.0 {
            state
                .progress
                .set(Some((e.loaded() / e.total() * 100.0).floor()));
        }
    });
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    on_progress.forget();

    let done_xhr = xhr.clone();
    let on_done = Closure::<dyn FnMut()>::new(move || {
        state.busy.set(false);
        let status = done_xhr.status().unwrap_or(0);
        if (200..300).contains(&status) {
            state.progress.set(Some(100.0));
            state.message.set("Uploaded. Reloading…".to_owned());
            if let Some(w) = web_sys::window() {
                let _ = w.location().reload();
            }
        } else {
            state.progress.set(None);
            state.message.set(error_message(&done_xhr));
        }
    });
    xhr.set_onloadend(Some(on_done.as_ref().unchecked_ref()));
    on_done.forget();

    state.busy.set(true);
    state.progress.set(Some(0.0));
    state.message.set(format!("Uploading {}…", file.name()));
    if xhr.send_with_opt_blob(Some(&file)).is_err() {
        state.busy.set(false);
        state.message.set("Upload failed to start.".to_owned());
    }
}

/// The chosen file of the form's file input, and the key input's value.
pub fn chosen(form: &web_sys::HtmlFormElement) -> (Option<File>, String) {
    let input = |name: &str| {
        form.query_selector(&format!("input[name='{name}']"))
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
    };
    let file = input("file").and_then(|i| i.files()).and_then(|f| f.get(0));
    let key = input("key").map(|i| i.value()).unwrap_or_default();
    (file, key)
}

/// Puts a dropped file into the form's file input.
pub fn drop_into(form: &web_sys::HtmlFormElement, ev: &web_sys::DragEvent) -> Option<File> {
    let files = ev.data_transfer()?.files()?;
    let file = files.get(0)?;
    let input = form
        .query_selector("input[name='file']")
        .ok()
        .flatten()?
        .dyn_into::<HtmlInputElement>()
        .ok()?;
    input.set_files(Some(&files));
    Some(file)
}
