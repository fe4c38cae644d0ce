//! The built-in `test` gateway (`PAYMENT_GATEWAY=test`, the demo default): no network.
//! Opening a payment names it after its order and keeps nothing (the order row holds the
//! amount); paying walks the same redirect-then-confirm path as Toss
//! (`POST /v1/payments/test/confirm` with the `paymentKey` checkout handed out), and the
//! older `POST /v1/payments/test/orders/{id}/pay` stays for scripts. Both exist only while
//! this gateway is active.

use super::*;

#[derive(Default)]
pub struct TestGateway;

impl TestGateway {
    pub fn payment_ref(order_id: Uuid) -> String {
        format!("test_pay_{}", order_id.simple())
    }
}

#[async_trait::async_trait]
impl PaymentGateway for TestGateway {
    fn name(&self) -> &'static str {
        "test"
    }

    fn opens_locally(&self) -> bool {
        true
    }

    async fn open(&self, req: OpenPayment) -> Result<OpenedPayment, GatewayError> {
        let payment_ref = Self::payment_ref(req.order_id);
        // The same redirect-then-confirm shape as Toss, without a window: the key the
        // window would have handed back is given now.
        Ok(OpenedPayment::redirecting(
            "test",
            payment_ref.clone(),
            RedirectCheckout {
                order_id: req.order_number,
                order_name: req.order_name,
                amount: req.amount.get(),
                customer_key: format!("c_{}", req.customer_id.simple()),
                client_key: None,
                success_url: "/checkout/success".into(),
                fail_url: "/checkout/fail".into(),
                confirm_url: "/v1/payments/test/confirm".into(),
                fail_confirm_url: "/v1/payments/test/fail".into(),
                payment_key: Some(payment_ref),
            },
        ))
    }

    async fn confirm(&self, req: ConfirmPayment) -> Result<PaymentOutcome, GatewayError> {
        if req.payment_ref != Self::payment_ref(req.order_id) {
            return Err(GatewayError::Refused(
                "payment does not belong to this order".into(),
            ));
        }
        Ok(PaymentOutcome {
            payment_ref: req.payment_ref,
            status: PaymentStatus::Succeeded,
            amount: req.amount,
        })
    }

    async fn cancel(&self, _payment_ref: &str, _key: &str) -> Result<(), GatewayError> {
        Ok(())
    }

    async fn refund(&self, req: RefundRequest) -> Result<RefundOutcome, GatewayError> {
        Ok(RefundOutcome {
            refund_ref: format!("test_refund_{}", req.idempotency_key),
            amount: req.amount,
        })
    }

    fn parse_webhook(
        &self,
        _headers: &HeaderMap,
        _body: &[u8],
    ) -> Result<GatewayEvent, GatewayError> {
        Err(GatewayError::Unsupported(
            "the test gateway sends no webhooks",
        ))
    }
}
