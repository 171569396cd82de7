/** Small builders for catalogue and order rows; every field can be overridden. */
import bcrypt from 'bcryptjs';
import {
  CategoryGroup,
  Category,
  Tag,
  Product,
  ProductTagRelation,
  OptionGroup,
  Option,
  User,
  Order,
  OrderProductRelation,
  OrderProductOptionRelation,
  PaymentHistory,
  SingleProductCart,
  type OprStatus,
  type PaymentStatus,
} from '../../src/models/index.js';

let seq = 0;
const next = () => ++seq;

export const DAY = 24 * 3600 * 1000;
export const daysFromNow = (d: number) => new Date(Date.now() + d * DAY);

export async function makeUser(over: Partial<Record<string, unknown>> = {}, password = 'pw-123456'): Promise<User> {
  const n = next();
  return User.create({
    email: `user${n}@example.com`,
    username: `user${n}`,
    passwordHash: bcrypt.hashSync(password, 4),
    ...over,
  });
}

/** A category (found or created); `isTicket`: its items are tickets (holder info required, QR codes). */
export async function makeCategory(groupName = '티켓', categoryName = '컨퍼런스 티켓', isTicket = false): Promise<Category> {
  const [group] = await CategoryGroup.findOrCreate({ where: { name: groupName }, defaults: { name: groupName } });
  const [category] = await Category.findOrCreate({ where: { groupId: group.id, name: categoryName }, defaults: { groupId: group.id, name: categoryName, isTicket } });
  return category;
}

/** A holder for a ticket item request. */
export const HOLDER = { name: '김참가', phone: '010-1234-5678', email: 'holder@example.com', organization: '파이썬 사용자 모임' } as const;

export async function makeProduct(over: Partial<Record<string, unknown>> = {}, category?: Category): Promise<Product> {
  const n = next();
  const cat = category ?? (await makeCategory());
  return Product.create({ categoryId: cat.id, nameKo: `상품 ${n}`, nameEn: `Product ${n}`, price: 10000, ...over });
}

export async function makeTag(over: Partial<Record<string, unknown>> = {}, products: Product[] = []): Promise<Tag> {
  const n = next();
  const tag = await Tag.create({ nameKo: `태그 ${n}`, nameEn: `Tag ${n}`, ...over });
  for (const p of products) await ProductTagRelation.create({ productId: p.id, tagId: tag.id });
  return tag;
}

export async function makeGroup(product: Product, over: Partial<Record<string, unknown>> = {}): Promise<OptionGroup> {
  const n = next();
  return OptionGroup.create({ productId: product.id, nameKo: `옵션그룹 ${n}`, nameEn: `Group ${n}`, ...over });
}

export async function makeOption(group: OptionGroup, over: Partial<Record<string, unknown>> = {}): Promise<Option> {
  const n = next();
  return Option.create({ groupId: group.id, nameKo: `옵션 ${n}`, nameEn: `Option ${n}`, ...over });
}

export interface ItemSpec {
  product: Product;
  status?: OprStatus;
  options?: Array<{ group: OptionGroup; option?: Option | null; customResponse?: string | null }>;
  donation?: number;
  deleted?: boolean;
}

/**
 * An order of `user` holding `items`. `payment`: null = a cart (no ledger row); a status = one ledger row.
 */
export async function makeOrder(user: User, items: ItemSpec[], payment: PaymentStatus | null = 'completed', impId = `imp_${next()}`): Promise<Order> {
  const order = await Order.create({ userId: user.id, nameKo: payment ? '주문' : '', nameEn: payment ? 'Order' : '' });
  let total = 0;
  for (const it of items) {
    const extra = (it.options ?? []).reduce((s, o) => s + (o.option?.additionalPrice ?? 0), 0);
    const opr = await OrderProductRelation.create({
      orderId: order.id,
      productId: it.product.id,
      status: it.status ?? (payment ? 'paid' : 'pending'),
      price: it.product.price + extra,
      donationPrice: it.donation ?? 0,
    });
    total += it.product.price + extra + (it.donation ?? 0);
    for (const o of it.options ?? []) {
      await OrderProductOptionRelation.create({
        orderProductRelationId: opr.id,
        productOptionGroupId: o.group.id,
        productOptionId: o.option?.id ?? null,
        customResponse: o.customResponse ?? null,
      });
    }
    if (it.deleted) await opr.destroy();
  }
  if (payment) await PaymentHistory.create({ orderId: order.id, status: payment, price: payment === 'refunded' ? 0 : total, impId });
  return order;
}

/** A buy-now cart (its OPR has no order) — never counts toward stock. */
export async function makeSingleProductCart(user: User, product: Product): Promise<SingleProductCart> {
  const opr = await OrderProductRelation.create({ orderId: null, productId: product.id, status: 'pending', price: product.price });
  return SingleProductCart.create({ userId: user.id, orderProductRelationId: opr.id });
}
